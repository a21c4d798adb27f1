package form

import (
	"net/url"
	"testing"
)

// FuzzQueryUnescape holds queryUnescape to url.QueryUnescape.
func FuzzQueryUnescape(f *testing.F) {
	for _, s := range []string{"", "plain", "a+b", "many-0%2Cmany-1%2c", "%", "%2", "%zz", "%%41", "%E5%90%8D", "+%2B+", "a%20b%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := queryUnescape(s)
		want, err := url.QueryUnescape(s)
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("queryUnescape(%q) = %q, %v; url.QueryUnescape: %q, %v", s, got, ok, want, err)
		}
	})
}
