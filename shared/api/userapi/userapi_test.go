package userapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/testenv"
)

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func register(t *testing.T, c *testenv.APIClient, user, name string) string {
	t.Helper()
	r := c.MustOK(t, "/user/getToken.json", form("userId", user, "name", name, "portraitUri", "https://img/"+user))
	tok, _ := r.Body["token"].(string)
	if tok == "" || r.Body["userId"] != user {
		t.Fatalf("getToken answer = %s", r.Raw)
	}
	return tok
}

// expectCode posts and checks the HTTP status and code.
func expectCode(t *testing.T, c *testenv.APIClient, path string, f any, status, code int) testenv.Response {
	t.Helper()
	r := c.Post(t, path, f)
	if r.Status != status || r.Code() != code {
		t.Fatalf("%s %v: got HTTP %d %s, want HTTP %d code %d", path, f, r.Status, r.Raw, status, code)
	}
	if code != 200 {
		if msg, _ := r.Body["errorMessage"].(string); msg == "" {
			t.Fatalf("%s: error without errorMessage: %s", path, r.Raw)
		}
	}
	return r
}

func verify(s *testenv.Stack, tok string) error {
	_, _, err := s.Service.Users.VerifyToken(context.Background(), tok)
	return err
}

func TestGetToken(t *testing.T) {
	dev, prod := testenv.NewApp(apps.Development), testenv.NewApp(apps.Production)
	s := testenv.StartStack(t, dev, prod)
	c := s.Client(0)

	s.Calls.Reset()
	first := register(t, c, "alice", "Alice")
	if n := s.Calls.Calls().Total(); n > 2 {
		t.Errorf("getToken in a development app made %d DynamoDB calls, budget 2", n)
	}
	s.Calls.Reset()
	register(t, s.Client(1), "alice", "Alice")
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("getToken in a production app made %d DynamoDB calls, budget 1", n)
	}

	second := register(t, c, "alice", "Alice Two")
	if first == second {
		t.Fatal("registering again must issue a new token")
	}
	for _, tok := range []string{first, second} {
		if err := verify(s, tok); err != nil {
			t.Fatalf("earlier and new tokens stay valid: %v", err)
		}
	}
	info := c.MustOK(t, "/user/info.json", form("userId", "alice"))
	if info.Body["userName"] != "Alice Two" {
		t.Fatalf("name not overwritten: %s", info.Raw)
	}

	long := strings.Repeat("x", 65)
	cases := []struct {
		name  string
		body  any
		code  int
		param string
	}{
		{"missing userId", form("name", "n"), 1002, "userId"},
		{"missing name", form("userId", "bob"), 1002, "name"},
		{"userId too long", form("userId", long, "name", "n"), 1005, "userId"},
		{"userId bad characters", form("userId", "bob!", "name", "n"), 1002, "userId"},
		{"name too long", form("userId", "bob", "name", strings.Repeat("名", 65)), 1005, "name"},
		{"portrait too long", form("userId", "bob", "name", "n", "portraitUri", strings.Repeat("p", 1025)), 1005, "portraitUri"},
		{"userId twice", "userId=bob&userId=carol&name=n", 1002, "userId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := expectCode(t, c, "/user/getToken.json", tc.body, http.StatusBadRequest, tc.code)
			if !strings.Contains(r.Body["errorMessage"].(string), tc.param) {
				t.Fatalf("message does not name %s: %s", tc.param, r.Raw)
			}
		})
	}
	// Nothing of the refused calls was stored.
	expectCode(t, c, "/user/info.json", form("userId", "bob"), http.StatusNotFound, 3001)
	// A 64-character name of multi-byte letters is within the limit.
	register(t, c, "bob", strings.Repeat("名", 64))
}

func TestTokensAreBoundToTheirApp(t *testing.T) {
	a, b := testenv.NewApp(apps.Development), testenv.NewApp(apps.Development)
	s := testenv.StartStack(t, a, b)
	tok := register(t, s.Client(0), "alice", "Alice")
	// The same userId in app B is another user: A's data is invisible there.
	expectCode(t, s.Client(1), "/user/info.json", form("userId", "alice"), http.StatusNotFound, 3001)
	tokB := register(t, s.Client(1), "alice", "Other Alice")
	if verify(s, tok) != nil || verify(s, tokB) != nil {
		t.Fatal("each app's token verifies")
	}
	// Any change to a token fails it.
	forged := "B" + tok[1:]
	if tok[0] == 'B' {
		forged = "C" + tok[1:]
	}
	if !errors.Is(verify(s, forged), users.ErrBadToken) {
		t.Fatal("altered token accepted")
	}
	if !errors.Is(verify(s, "garbage"), users.ErrBadToken) {
		t.Fatal("garbage accepted")
	}
	// Token verification costs one read (profile and ban together).
	s.Calls.Reset()
	_ = verify(s, tok)
	if c := s.Calls.Calls(); c.Total() != 1 || c.BatchGetItem != 1 {
		t.Fatalf("verification made %+v", c)
	}
}

func TestTokenExpire(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	old := register(t, c, "alice", "Alice")
	other := register(t, c, "bob", "Bob")
	time.Sleep(3 * time.Millisecond)
	cut := s.Clock.Now()
	time.Sleep(3 * time.Millisecond)
	fresh := register(t, c, "alice", "Alice")

	// An unknown user in the list refuses the whole call, and nothing changes.
	expectCode(t, c, "/user/token/expire.json", form("userId", "alice,nobody", "time", fmt.Sprint(cut.UnixMilli())), http.StatusNotFound, 3001)
	if verify(s, old) != nil {
		t.Fatal("a refused expire changed a token")
	}
	c.MustOK(t, "/user/token/expire.json", form("userId", "alice", "time", fmt.Sprint(cut.UnixMilli())))
	if !errors.Is(verify(s, old), users.ErrBadToken) {
		t.Fatal("token issued before time still verifies")
	}
	if verify(s, fresh) != nil {
		t.Fatal("token issued after time must verify")
	}
	if verify(s, other) != nil {
		t.Fatal("another user's token was expired")
	}
	// An earlier time does not bring expired tokens back.
	c.MustOK(t, "/user/token/expire.json", form("userId", "alice", "time", "1"))
	if verify(s, old) == nil {
		t.Fatal("expire with an earlier time revived a token")
	}

	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	expectCode(t, c, "/user/token/expire.json", form("userId", strings.Join(many, ","), "time", "1"), 400, 1005)
	expectCode(t, c, "/user/token/expire.json", form("userId", "alice"), 400, 1002)
	expectCode(t, c, "/user/token/expire.json", form("userId", "alice", "time", "soon"), 400, 1002)
}

func TestInfoAndRefresh(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	register(t, c, "alice", "Alice")

	s.Calls.Reset()
	r := c.MustOK(t, "/user/info.json", form("userId", "alice"))
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("info made %d calls, budget 1", n)
	}
	created, err := time.Parse(time.DateTime, fmt.Sprint(r.Body["createTime"]))
	if err != nil || time.Since(created) > time.Minute || r.Body["userPortrait"] != "https://img/alice" {
		t.Fatalf("info = %s", r.Raw)
	}

	s.Calls.Reset()
	c.MustOK(t, "/user/refresh.json", form("userId", "alice", "name", "Alicia"))
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("refresh made %d calls, budget 1", n)
	}
	r = c.MustOK(t, "/user/info.json", form("userId", "alice"))
	if r.Body["userName"] != "Alicia" || r.Body["userPortrait"] != "https://img/alice" {
		t.Fatalf("refresh of the name only = %s", r.Raw)
	}
	c.MustOK(t, "/user/refresh.json", form("userId", "alice", "portraitUri", "https://new"))
	r = c.MustOK(t, "/user/info.json", form("userId", "alice"))
	if r.Body["userName"] != "Alicia" || r.Body["userPortrait"] != "https://new" {
		t.Fatalf("refresh of the portrait only = %s", r.Raw)
	}
	expectCode(t, c, "/user/refresh.json", form("userId", "nobody", "name", "x"), http.StatusNotFound, 3001)
	expectCode(t, c, "/user/info.json", form("userId", "nobody"), http.StatusNotFound, 3001)
	expectCode(t, c, "/user/info.json", form(), 400, 1002)
	expectCode(t, c, "/user/refresh.json", form("userId", "alice", "name", strings.Repeat("n", 65)), 400, 1005)
}

func TestDeactivateEraseReactivate(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	app := s.Apps[0].Key
	tok := register(t, c, "alice", "Alice")
	register(t, c, "bob", "Bob")
	if err := s.Service.Store.SeedRelated(context.Background(), app, "alice", 1200); err != nil {
		t.Fatal(err)
	}

	// Refused as a whole when one user is unknown; nothing changes.
	expectCode(t, c, "/user/deactivate.json", form("userId", "alice", "userId", "ghost"), http.StatusNotFound, 3001)
	c.MustOK(t, "/user/info.json", form("userId", "alice"))

	start := time.Now()
	r := c.MustOK(t, "/user/deactivate.json", "userId=alice")
	if time.Since(start) > 5*time.Second {
		t.Fatalf("deactivate took %s: erasure must not run inside the call", time.Since(start))
	}
	if op, _ := r.Body["operateId"].(string); op == "" {
		t.Fatalf("no operateId: %s", r.Raw)
	}
	// At once: no token, no info, refused token, listed.
	expectCode(t, c, "/user/getToken.json", form("userId", "alice", "name", "A"), http.StatusForbidden, 3002)
	expectCode(t, c, "/user/info.json", form("userId", "alice"), http.StatusForbidden, 3002)
	expectCode(t, c, "/user/refresh.json", form("userId", "alice", "name", "A"), http.StatusForbidden, 3002)
	if !errors.Is(verify(s, tok), users.ErrDeactivated) {
		t.Fatal("deactivated user's token still verifies")
	}
	list := c.MustOK(t, "/user/deactivate/query.json", nil)
	if fmt.Sprint(list.Body["users"]) != "[alice]" {
		t.Fatalf("deactivated list = %s", list.Raw)
	}

	s.Gateway.Wait() // the asynchronous erasure
	left, err := s.Service.Store.ItemsOf(context.Background(), app, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 {
		t.Fatalf("after erasure %d items remain (%v...), want the state item only", len(left), left[:min(3, len(left))])
	}
	u, err := s.Service.Store.GetUser(context.Background(), app, "alice")
	if err != nil || u.Name != "" || u.Portrait != "" || u.ErasePending != "" || !u.Deactivated() {
		t.Fatalf("state item after erasure = %+v, %v", u, err)
	}

	c.MustOK(t, "/user/reactivate.json", form("userId", "alice"))
	if verify(s, tok) == nil {
		t.Fatal("a reactivated user's old token must not verify")
	}
	list = c.MustOK(t, "/user/deactivate/query.json", form("pageNo", "1", "pageSize", "10"))
	if fmt.Sprint(list.Body["users"]) != "[]" {
		t.Fatalf("reactivated user still listed: %s", list.Raw)
	}
	r = c.MustOK(t, "/user/info.json", form("userId", "alice"))
	if r.Body["userName"] != "" {
		t.Fatalf("erased name came back: %s", r.Raw)
	}
	time.Sleep(2 * time.Millisecond)
	if err := verify(s, register(t, c, "alice", "Alice")); err != nil {
		t.Fatalf("new token after reactivation: %v", err)
	}
	expectCode(t, c, "/user/reactivate.json", form("userId", "ghost"), http.StatusNotFound, 3001)
	expectCode(t, c, "/user/deactivate/query.json", form("pageSize", "51"), 400, 1002)
	expectCode(t, c, "/user/deactivate/query.json", form("pageNo", "0"), 400, 1002)
}

func TestDevelopmentCapListAndDelete(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Development), testenv.NewApp(apps.Production))
	dev, prod := s.Client(0), s.Client(1)
	for i := range 100 {
		register(t, dev, fmt.Sprintf("u%03d", i), fmt.Sprint("User ", i))
	}
	expectCode(t, dev, "/user/getToken.json", form("userId", "u100", "name", "n"), http.StatusForbidden, 2007)
	register(t, dev, "u007", "Known users may register again at the cap")

	s.Calls.Reset()
	r := dev.MustOK(t, "/user/query.json", form("page", "2", "pageSize", "30"))
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("user list made %d calls", n)
	}
	list := r.Body["users"].([]any)
	if r.Body["total"] != float64(100) || len(list) != 30 || list[0].(map[string]any)["userId"] != "u030" {
		t.Fatalf("page 2 = %s", r.Raw)
	}
	if _, err := time.Parse(time.DateTime, fmt.Sprint(list[0].(map[string]any)["regTime"])); err != nil {
		t.Fatalf("regTime: %v", err)
	}
	r = dev.MustOK(t, "/user/query.json", form("order", "1", "pageSize", "1"))
	if first := r.Body["users"].([]any)[0].(map[string]any); first["userId"] != "u099" {
		t.Fatalf("newest first = %s", r.Raw)
	}

	expectCode(t, dev, "/user/delusers.json", form("userId", "u001,ghost"), http.StatusNotFound, 3001)
	dev.MustOK(t, "/user/delusers.json", "userId=u001&userId=u002")
	expectCode(t, dev, "/user/info.json", form("userId", "u001"), http.StatusNotFound, 3001)
	register(t, dev, "u100", "Freed place")
	register(t, dev, "u101", "Freed place")
	expectCode(t, dev, "/user/getToken.json", form("userId", "u102", "name", "n"), http.StatusForbidden, 2007)

	expectCode(t, prod, "/user/query.json", nil, http.StatusUnauthorized, 1007)
	expectCode(t, prod, "/user/delusers.json", form("userId", "u001"), http.StatusUnauthorized, 1007)
	for i := range 101 {
		register(t, prod, fmt.Sprintf("p%03d", i), "n")
	}
}

func TestSignatureAndTransport(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	register(t, c, "alice", "Alice")

	ms := *c
	ms.Millis, ms.Prefix = true, "RC-"
	ms.MustOK(t, "/user/info.json", form("userId", "alice"))

	wrong := *c
	wrong.App.Secret = "not-the-secret"
	expectCode(t, &wrong, "/user/info.json", form("userId", "alice"), http.StatusUnauthorized, 1004)
	unknown := *c
	unknown.App.Key = "no-such-app"
	expectCode(t, &unknown, "/user/info.json", form("userId", "alice"), http.StatusUnauthorized, 1001)
	stale := *c
	stale.Now = func() time.Time { return time.Now().Add(-6 * time.Minute) }
	expectCode(t, &stale, "/user/info.json", form("userId", "alice"), http.StatusUnauthorized, 1004)

	// The path one official SDK sends, with a doubled slash, is served (no redirect).
	c.MustOK(t, "//user/deactivate/query.json", nil)
	// A leading '&' and empty pairs are ignored.
	c.MustOK(t, "/user/info.json", "&userId=alice&&")

	r := c.Post(t, "/user/info.json", form("userId", "alice"), "X-Request-ID", "req-123")
	if r.Header.Get("X-Request-ID") != "req-123" {
		t.Fatalf("X-Request-ID not echoed: %v", r.Header)
	}
	big := "userId=alice&name=" + strings.Repeat("a", 512<<10)
	expectCode(t, c, "/user/refresh.json", big, http.StatusRequestEntityTooLarge, 1005)

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/user/info.json", nil)
	if res := testenv.Do(t, nil, req); res.Status != http.StatusNotFound {
		t.Fatalf("GET answered %d", res.Status)
	}
}
