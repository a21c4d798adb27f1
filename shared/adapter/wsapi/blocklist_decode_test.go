package wsapi

import (
	"strings"
	"testing"

	"imusers/shared/wire/apierr"
)

func TestDecodeListFrame(t *testing.T) {
	long := strings.Repeat("r", 129)
	cases := []struct {
		name, action, body string
		code               int
		requestID          string // echoed even when refused, when it could be read
		want               ListFrame
	}{
		{"add", ActionAddToBlocklist, `{"action":"addToBlocklist","userId":"bob","requestId":"r-1"}`, 200, "r-1", ListFrame{RequestID: "r-1", UserID: "bob", Size: 400}},
		{"remove without requestId", ActionRemoveFromBlocklist, `{"userId":"bob"}`, 200, "", ListFrame{UserID: "bob", Size: 400}},
		{"check", ActionCheckBlocked, `{"userId":"b=+_-9","requestId":""}`, 200, "", ListFrame{UserID: "b=+_-9", Size: 400}},
		{"first page, default size", ActionGetBlocklist, `{"action":"getBlocklist","requestId":"r-4"}`, 200, "r-4", ListFrame{RequestID: "r-4", Size: 400}},
		{"a page", ActionGetBlocklist, `{"pageToken":"abc","size":1}`, 200, "", ListFrame{PageToken: "abc", Size: 1}},
		{"largest page", ActionGetBlocklist, `{"size":400}`, 200, "", ListFrame{Size: 400}},
		{"getBlocklist ignores userId", ActionGetBlocklist, `{"userId":"not checked"}`, 200, "", ListFrame{Size: 400}},
		{"not JSON", ActionAddToBlocklist, `{"userId":`, 1002, "", ListFrame{}},
		{"not an object", ActionCheckBlocked, `["bob"]`, 1002, "", ListFrame{}},
		{"null", ActionGetBlocklist, `null`, 1002, "", ListFrame{}},
		{"userId missing", ActionAddToBlocklist, `{"requestId":"r-2"}`, 1002, "r-2", ListFrame{}},
		{"userId empty", ActionRemoveFromBlocklist, `{"userId":"","requestId":"r-2"}`, 1002, "r-2", ListFrame{}},
		{"userId a number", ActionCheckBlocked, `{"userId":7,"requestId":"r-3"}`, 1002, "r-3", ListFrame{}},
		{"userId malformed", ActionAddToBlocklist, `{"userId":"bob smith","requestId":"r-3"}`, 1002, "r-3", ListFrame{}},
		{"userId too long", ActionAddToBlocklist, `{"userId":"` + strings.Repeat("b", 65) + `","requestId":"r-3"}`, 1005, "r-3", ListFrame{}},
		{"requestId a number", ActionAddToBlocklist, `{"userId":"bob","requestId":5}`, 1002, "", ListFrame{}},
		{"requestId too long", ActionAddToBlocklist, `{"userId":"bob","requestId":"` + long + `"}`, 1005, "", ListFrame{}},
		{"size 0", ActionGetBlocklist, `{"size":0,"requestId":"r-5"}`, 1002, "r-5", ListFrame{}},
		{"size over the page", ActionGetBlocklist, `{"size":401,"requestId":"r-5"}`, 1002, "r-5", ListFrame{}},
		{"size a fraction", ActionGetBlocklist, `{"size":1.5}`, 1002, "", ListFrame{}},
		{"size a string", ActionGetBlocklist, `{"size":"10"}`, 1002, "", ListFrame{}},
		{"size huge", ActionGetBlocklist, `{"size":1e40}`, 1002, "", ListFrame{}},
		{"pageToken a number", ActionGetBlocklist, `{"pageToken":1,"requestId":"r-6"}`, 1002, "r-6", ListFrame{}},
	}
	for _, tc := range cases {
		f, err := DecodeListFrame(tc.action, tc.body)
		got := 200
		if err != nil {
			e, ok := apierr.As(err)
			if !ok {
				t.Errorf("%s: %v is not an API error", tc.name, err)
				continue
			}
			got = e.Code
		}
		if got != tc.code || f.RequestID != tc.requestID {
			t.Errorf("%s: code %d (%v), requestId %q; want %d, %q", tc.name, got, err, f.RequestID, tc.code, tc.requestID)
		}
		if err == nil && f != tc.want {
			t.Errorf("%s: decoded %+v, want %+v", tc.name, f, tc.want)
		}
	}
}

func FuzzDecodeListFrame(f *testing.F) {
	for _, s := range []string{
		`{"action":"addToBlocklist","userId":"bob","requestId":"r-1"}`,
		`{"action":"getBlocklist","requestId":"r-4","pageToken":"x","size":1000}`,
		`{"userId":1}`, `{"size":-1}`, `[]`, `{`, ``, `null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, action := range []string{ActionAddToBlocklist, ActionRemoveFromBlocklist, ActionCheckBlocked, ActionGetBlocklist} {
			fr, err := DecodeListFrame(action, body)
			if len(fr.RequestID) > MaxRequestID {
				t.Fatalf("%s: requestId of %d bytes kept", action, len(fr.RequestID))
			}
			if err != nil {
				if _, ok := apierr.As(err); !ok {
					t.Fatalf("%s: refusal %v is not an API error", action, err)
				}
				continue
			}
			if action != ActionGetBlocklist && (fr.UserID == "" || len(fr.UserID) > 64) {
				t.Fatalf("%s: accepted userId %q", action, fr.UserID)
			}
			if fr.Size < 1 || fr.Size > MaxBlocklistPage {
				t.Fatalf("%s: accepted size %d", action, fr.Size)
			}
		}
	})
}
