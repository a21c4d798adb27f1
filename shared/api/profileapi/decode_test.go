package profileapi_test

import (
	"strings"
	"testing"

	"imusers/shared/api/profileapi"
	"imusers/shared/wire/apierr"
)

// FuzzDecodeTagBody feeds any body to the tag calls' JSON decoder: it never panics, refuses
// only with a 1002, and what it accepts is the users and the tags, with no empty value and no
// comma inside one.
func FuzzDecodeTagBody(f *testing.F) {
	for _, s := range []string{
		`{"userId":"31232","tags":["bj","male"]}`, `{"userIds":["id1","id2"],"tags":["bj","男"]}`,
		`{"userId":"a","tags":[]}`, `{"userIds":[],"tags":null}`, `{"userId":["a"],"tags":[1]}`,
		`{"userId":"a,b","tags":["x"]}`, `[]`, `null`, `{"tags":["a"]`, `{"userIds":"a","tags":"b"}`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, batch bool) {
		param := "userId"
		if batch {
			param = "userIds"
		}
		v, err := profileapi.DecodeTagBody([]byte(body), param)
		if err != nil {
			if e, ok := apierr.As(err); !ok || e.Code != apierr.BadParam || e.Message == "" {
				t.Fatalf("refused with %v, want a 1002", err)
			}
			return
		}
		if len(v) != 2 || v[param] == nil || len(v["tags"]) == 0 {
			t.Fatalf("accepted %q as %v", body, v)
		}
		if !batch && len(v[param]) != 1 {
			t.Fatalf("one userId became %v", v[param])
		}
		for _, s := range v[param] {
			if s == "" || strings.Contains(s, ",") {
				t.Fatalf("accepted the user %q", s)
			}
		}
		if tags := v["tags"]; !(len(tags) == 1 && tags[0] == "") {
			for _, s := range tags {
				if s == "" || strings.Contains(s, ",") {
					t.Fatalf("accepted the tag %q", s)
				}
			}
		}
	})
}
