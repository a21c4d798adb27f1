package wsapi

import (
	"strings"
	"testing"

	"imusers/shared/wire/apierr"
)

func TestDecodeSend(t *testing.T) {
	big := `{"a":"` + strings.Repeat("x", 61<<10) + `"}`
	cases := []struct {
		name, body  string
		code        int
		clientMsgID string // echoed even when refused, when it could be read
	}{
		{"complete", `{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":"{\"content\":\"hi\"}","clientMsgId":"c1"}`, 200, "c1"},
		{"no clientMsgId", `{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":"{}"}`, 200, ""},
		{"not JSON", `{"action":"sendMessage",`, 1002, ""},
		{"JSON but not an object", `["sendMessage"]`, 1002, ""},
		{"null", `null`, 1002, ""},
		{"toUserId missing", `{"objectName":"RC:TxtMsg","content":"{}","clientMsgId":"c2"}`, 1002, "c2"},
		{"toUserId a number", `{"toUserId":7,"objectName":"RC:TxtMsg","content":"{}","clientMsgId":"c3"}`, 1002, "c3"},
		{"toUserId malformed", `{"toUserId":"bob smith","objectName":"RC:TxtMsg","content":"{}","clientMsgId":"c4"}`, 1002, "c4"},
		{"toUserId too long", `{"toUserId":"` + strings.Repeat("b", 65) + `","objectName":"RC:TxtMsg","content":"{}","clientMsgId":"c5"}`, 1005, "c5"},
		{"objectName missing", `{"toUserId":"bob","content":"{}","clientMsgId":"c6"}`, 1002, "c6"},
		{"objectName too long", `{"toUserId":"bob","objectName":"` + strings.Repeat("o", 33) + `","content":"{}","clientMsgId":"c7"}`, 1005, "c7"},
		{"content an object, not a string", `{"toUserId":"bob","objectName":"RC:TxtMsg","content":{"a":1},"clientMsgId":"c8"}`, 1002, "c8"},
		{"content not a JSON object", `{"toUserId":"bob","objectName":"RC:TxtMsg","content":"hi","clientMsgId":"c9"}`, 1002, "c9"},
		{"content too large", `{"toUserId":"bob","objectName":"RC:TxtMsg","content":` + quote(big) + `,"clientMsgId":"c10"}`, 1005, "c10"},
		{"clientMsgId a number", `{"toUserId":"bob","objectName":"RC:TxtMsg","content":"{}","clientMsgId":5}`, 1002, ""},
		{"clientMsgId too long", `{"toUserId":"bob","objectName":"RC:TxtMsg","content":"{}","clientMsgId":"` + strings.Repeat("c", 129) + `"}`, 1005, ""},
		{"frame over 128 KiB", `{"toUserId":"bob","pad":"` + strings.Repeat("p", 128<<10) + `"}`, 1005, ""},
		{"frame over 32 KiB", frameOf(32<<10+1, "c11"), 1005, "c11"},
		{"frame of 32 KiB", frameOf(32<<10, "c12"), 200, "c12"},
	}
	for _, tc := range cases {
		f, err := DecodeSend(tc.body)
		got := 200
		if err != nil {
			e, ok := apierr.As(err)
			if !ok {
				t.Errorf("%s: %v is not an API error", tc.name, err)
				continue
			}
			got = e.Code
		}
		if got != tc.code || f.ClientMsgID != tc.clientMsgID {
			t.Errorf("%s: code %d (%v), clientMsgId %q; want %d, %q", tc.name, got, err, f.ClientMsgID, tc.code, tc.clientMsgID)
		}
	}
	f, err := DecodeSend(`{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":"{\"content\":\"<b>hi</b>\"}","clientMsgId":"c1"}`)
	if err != nil || f.ToUserID != "bob" || f.ObjectName != "RC:TxtMsg" || f.Content != `{"content":"<b>hi</b>"}` {
		t.Errorf("decoded %+v, %v", f, err)
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func FuzzDecodeSend(f *testing.F) {
	for _, s := range []string{
		`{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":"{}","clientMsgId":"c1"}`,
		`{"toUserId":1}`, `[]`, `{"content":"{\"a\":[[[]]]}"}`, `{`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fr, err := DecodeSend(body)
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("refusal %v is not an API error", err)
			}
			return
		}
		if fr.ToUserID == "" || fr.ObjectName == "" || fr.Content == "" {
			t.Fatalf("accepted a frame without a required field: %+v", fr)
		}
	})
}

// frameOf is a valid sendMessage frame of exactly size bytes.
func frameOf(size int, clientMsgID string) string {
	head, tail := `{"toUserId":"bob","objectName":"RC:TxtMsg","clientMsgId":"`+clientMsgID+`","content":"{\"a\":\"`, `\"}"}`
	return head + strings.Repeat("x", size-len(head)-len(tail)) + tail
}
