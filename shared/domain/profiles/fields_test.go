package profiles_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"imusers/shared/domain/profiles"
	"imusers/shared/wire/apierr"
)

// FuzzDecode feeds any text to both profile decoders: they never panic, refuse only with 1002
// or 1005, and what they accept keeps every rule of the keys.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"name":"Nick","level":2,"gender":"1","uniqueId":"A7"}`, `{"ext_city":"bj","ext_a":null}`,
		`{"name":null,"email":""}`, `{"level":2.5}`, `{"role":"-1"}`, `[]`, `null`, `{"ext_":1}`,
		`{"portraitUri":"` + strings.Repeat("a", 1025) + `"}`, `{"a":{"b":[1,2,{"c":null}]}}`, `{"name":"\ud800"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var c profiles.Change
		check(t, c.DecodeProfile([]byte(raw)))
		check(t, c.DecodeExt([]byte(raw)))
		for k, v := range c.Text {
			if v != nil && (*v == "" || utf8.RuneCountInString(*v) > 1024) {
				t.Errorf("accepted %s = %q", k, *v)
			}
		}
		for k, v := range c.Numbers {
			if v != nil && (*v < 0 || *v > 100) {
				t.Errorf("accepted %s = %d", k, *v)
			}
		}
		for k, v := range c.Ext {
			if !strings.HasPrefix(k, "ext_") || len(k) > 32 || len(k) < 5 || v != nil && utf8.RuneCountInString(*v) > 256 {
				t.Errorf("accepted ext pair %q", k)
			}
		}
	})
}

func check(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e, ok := apierr.As(err)
	if !ok || e.Code != apierr.BadParam && e.Code != apierr.TooLong || e.Message == "" {
		t.Fatalf("refused with %v, want a 1002 or 1005", err)
	}
}
