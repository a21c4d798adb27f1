package abuse_test

import (
	"net/url"
	"strings"
	"testing"

	"imusers/infra/apicall"
	"imusers/shared/apps"
	"imusers/shared/routes"
	"imusers/shared/testenv"
)

const secretName = "B-only-secret-name"

// Every operation, called by app A with the userIds of app B's users, neither sees nor changes
// anything of B: every item outside A's own keys is byte for byte the same afterwards, and no answer to A carries
// B's data. (The same userId in A is another user of A's own.)
func TestCallerOfOneAppCannotTouchAnother(t *testing.T) {
	a, b := testenv.NewApp(apps.Development), testenv.NewApp(apps.Development)
	s := testenv.StartStack(t, a, b)
	ca, cb := s.Client(0), s.Client(1)
	users := apicall.Users{A: "alice", B: "bob"}

	// B's state: every operation run once, then a profile, a ban and relations left in place.
	reset := func(c *testenv.APIClient) {
		s.Gateway.Wait()
		c.Post(t, "/user/reactivate.json", form("userId", users.B))
		for _, u := range []string{users.A, users.B} {
			c.MustOK(t, "/user/getToken.json", form("userId", u, "name", "Name of "+u))
		}
	}
	for _, call := range apicall.Available() {
		reset(cb)
		if call.Settings != nil {
			cb.MustOK(t, "/app/setting/set.json", call.Settings)
		}
		if res := cb.Post(t, call.Path(), call.Form(users)); res.Code() != 200 {
			t.Fatalf("B's own %s: HTTP %d %s", call.Route, res.Status, res.Raw)
		}
	}
	reset(cb)
	cb.MustOK(t, "/user/refresh.json", form("userId", users.A, "name", secretName, "portraitUri", "https://b.example/"+secretName))
	extra := []struct {
		route string
		form  url.Values
	}{
		{"userBlock", form("userId", users.B, "minute", "60")},
		{"userBlacklistAdd", form("userId", users.A, "blackUserId", users.B)},
		{"userWhitelistAdd", form("userId", users.B, "whiteUserId", users.A)},
		{"friendAdd", form("userId", users.A, "targetId", users.B, "optType", "2")},
		{"friendProfileSet", form("userId", users.A, "targetId", users.B, "remarkName", secretName)},
	}
	for _, e := range extra {
		if r, ok := routes.ByName(e.route); ok {
			cb.MustOK(t, r.Path, e.form)
		}
	}
	s.Gateway.Wait()
	// Everything that is not A's: B's items, and any item outside both apps' keys.
	notA := func(pk string) bool { return !owns(a.Key, pk) }
	if n := len(snapshot(t, s.Table, b.Key)); n < 3 {
		t.Fatalf("B's state is only %d items; the test would prove little", n)
	}
	before := scan(t, s.Table, notA)

	for _, call := range apicall.Available() {
		if call.Settings != nil {
			ca.MustOK(t, "/app/setting/set.json", call.Settings)
		}
		res := ca.Post(t, call.Path(), call.Form(users))
		if strings.Contains(res.Raw, secretName) || strings.Contains(res.Raw, b.Key) {
			t.Errorf("A's %s answered with B's data: %s", call.Route, res.Raw)
		}
	}
	s.Gateway.Wait()
	after := scan(t, s.Table, notA)
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("A's calls changed B's items:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	// A's own alice is a different user: B's profile is not hers.
	if res := ca.Post(t, "/user/info.json", form("userId", users.A)); strings.Contains(res.Raw, secretName) {
		t.Errorf("A's alice shows B's profile: %s", res.Raw)
	}
}
