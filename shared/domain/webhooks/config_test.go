package webhooks

import (
	"net/netip"
	"testing"

	"imusers/shared/apps"
	"imusers/shared/wire/apierr"
)

// In AWS (no loopback allowance) an IP literal inside a network is refused for every app; the
// local stack lets loopback through and nothing else.
func TestCheckURLPolicy(t *testing.T) {
	aws, local := Policy{}, Policy{AllowLoopback: true}
	for _, tc := range []struct {
		url        string
		aws, local int // the code each policy answers for a production app (0: accepted)
	}{
		{"https://hooks.example.com/x", 0, 0},
		{"https://8.8.8.8/x", 0, 0},
		{"http://127.0.0.1:8080/hook", apierr.BadParam, 0},
		{"http://localhost:8080/hook", apierr.NotAllowed, 0},
		{"https://[::1]/", apierr.BadParam, 0},
		{"https://[::ffff:127.0.0.1]/", apierr.BadParam, 0},
		{"https://192.168.1.1/", apierr.BadParam, apierr.BadParam},
		{"https://172.16.0.1/", apierr.BadParam, apierr.BadParam},
		{"https://100.64.0.1/", apierr.BadParam, apierr.BadParam},
		{"https://169.254.169.254/", apierr.BadParam, apierr.BadParam},
		{"https://0.0.0.0/", apierr.BadParam, apierr.BadParam},
		{"http://hooks.example.com/", apierr.NotAllowed, apierr.NotAllowed},
	} {
		for _, p := range []struct {
			policy Policy
			want   int
		}{{aws, tc.aws}, {local, tc.local}} {
			got := 0
			if err := p.policy.CheckURL("webhookUrl", tc.url, apps.Production); err != nil {
				e, _ := apierr.As(err)
				got = e.Code
			}
			if got != p.want {
				t.Errorf("%+v CheckURL(%q) = %d, want %d", p.policy, tc.url, got, p.want)
			}
		}
	}
}

func TestDialable(t *testing.T) {
	for _, tc := range []struct {
		ip         string
		aws, local bool
	}{
		{"93.184.216.34", true, true},
		{"127.0.0.1", false, true},
		{"::1", false, true},
		{"10.1.2.3", false, false},
		{"169.254.169.254", false, false},
		{"fe80::1", false, false},
	} {
		ip := netip.MustParseAddr(tc.ip)
		if got := (Policy{}).dialable(ip); got != tc.aws {
			t.Errorf("AWS dialable(%s) = %v", tc.ip, got)
		}
		if got := (Policy{AllowLoopback: true}).dialable(ip); got != tc.local {
			t.Errorf("local dialable(%s) = %v", tc.ip, got)
		}
	}
}

// Whatever webhookUrls holds, reading it answers a contract code or a map of checked URLs, and
// never panics.
func FuzzParseURLs(f *testing.F) {
	for _, s := range []string{`{}`, `{"user:banned":"https://a.example.com/"}`, `{"user:banned":""}`, `[1]`, `null`,
		`{"user:banned":"http://[::1]:80/"}`, `{"user:banned":"https://a.example.com/#x"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, err := Policy{}.ParseURLs("webhookUrls", raw, apps.Production)
		if err != nil {
			if _, ok := apierr.As(err); !ok {
				t.Fatalf("%q: error without a code: %v", raw, err)
			}
			return
		}
		for typ, u := range m {
			if err := (Policy{}).CheckURL("webhookUrls", u, apps.Production); err != nil || u == "" || !Supports(FormatNexconn, typ) {
				t.Fatalf("%q: accepted %s -> %q", raw, typ, u)
			}
		}
	})
}
