package relationapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

var form = testenv.Form

func register(t *testing.T, c *testenv.APIClient, users ...string) {
	t.Helper()
	for _, u := range users {
		c.Register(t, u)
	}
}

func expectCode(t *testing.T, c *testenv.APIClient, path string, f any, status, code int) testenv.Response {
	t.Helper()
	return c.Expect(t, path, f, status, code)
}

// okPacing posts and reports (t.Errorf, so it may run off the test goroutine) anything but
// success, backing off on 429/1008 as an App Server would: bulk setup outruns the routes' rate
// limits.
func okPacing(t *testing.T, c *testenv.APIClient, path string, f any) bool {
	t.Helper()
	for range 200 {
		r := c.Post(t, path, f)
		if r.Status == http.StatusTooManyRequests && r.Code() == 1008 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if r.Status != http.StatusOK || r.Code() != 200 {
			t.Errorf("%s: got HTTP %d %s", path, r.Status, r.Raw)
			return false
		}
		return true
	}
	t.Errorf("%s: still rate limited after retrying", path)
	return false
}

func strs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// ids returns n userIds with a prefix, in order.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return out
}

// pages reads a whole blocklist or whitelist page by page, checking that each page costs one
// DynamoDB call and carries next exactly when another page follows.
func pages(t *testing.T, s *testenv.Stack, c *testenv.APIClient, path, owner string, size int) [][]string {
	t.Helper()
	var out [][]string
	tok := ""
	for range 10_000 {
		f := form("userId", owner, "size", fmt.Sprint(size))
		if tok != "" {
			f.Set("pageToken", tok)
		}
		s.Calls.Reset()
		r := c.MustOK(t, path, f)
		if calls := s.Calls.Calls(); calls.Total() != 1 || calls.Query != 1 {
			t.Fatalf("%s page %d made %+v, budget one Query", path, len(out)+1, calls)
		}
		page := strs(r.Body["users"])
		out = append(out, page)
		next, has := r.Body["next"].(string)
		if !has {
			if _, present := r.Body["next"]; present {
				t.Fatalf("next present but not a string: %s", r.Raw)
			}
			return out
		}
		if next == "" || len(page) != size {
			t.Fatalf("page %d: next %q with %d users of %d", len(out), next, len(page), size)
		}
		tok = next
	}
	t.Fatal("paging does not end")
	return nil
}

func flat(p [][]string) []string {
	var out []string
	for _, page := range p {
		out = append(out, page...)
	}
	return out
}

func TestBlocklistPagesNewestFirst(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	register(t, c, "alice", "bob")

	// Seven users added one by one (each a millisecond later), then a batch of three at once.
	var want []string
	for _, u := range ids("u", 7) {
		s.Clock.Advance(time.Millisecond)
		c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", u))
		want = append([]string{u}, want...)
	}
	s.Clock.Advance(time.Millisecond)
	// The alias serves the same list; both encodings of a list are accepted.
	c.MustOK(t, "/user/blocklist/add.json", "userId=alice&blackUserId=x1,x2&blackUserId=x3")
	want = append([]string{"x3", "x2", "x1"}, want...) // same time: later ids first
	// Adding listed users again changes nothing, not even their place.
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "u0003"))

	for _, size := range []int{1, 3, 5, 10, 11} {
		got := pages(t, s, c, "/user/blacklist/query.json", "alice", size)
		if fmt.Sprint(flat(got)) != fmt.Sprint(want) {
			t.Fatalf("size %d: pages %v, want %v", size, got, want)
		}
		if n := (len(want) + size - 1) / size; len(got) != n {
			t.Fatalf("size %d: %d pages for %d users, want %d (an exact multiple must not add an empty page)", size, len(got), len(want), n)
		}
	}
	// The default page holds everything; the alias answers the same.
	r := c.MustOK(t, "/user/blocklist/query.json", form("userId", "alice"))
	if fmt.Sprint(strs(r.Body["users"])) != fmt.Sprint(want) || r.Body["next"] != nil {
		t.Fatalf("default page = %s", r.Raw)
	}
	// bob's list is his own, and empty: an empty list, no next.
	r = c.MustOK(t, "/user/blacklist/query.json", form("userId", "bob"))
	if r.Raw != `{"code":200,"users":[]}` {
		t.Fatalf("empty list = %s", r.Raw)
	}

	c.MustOK(t, "/user/blocklist/remove.json", form("userId", "alice", "blackUserId", "x2,u0000,never-listed"))
	r = c.MustOK(t, "/user/blacklist/query.json", form("userId", "alice"))
	want = slices.DeleteFunc(want, func(u string) bool { return u == "x2" || u == "u0000" })
	if fmt.Sprint(strs(r.Body["users"])) != fmt.Sprint(want) {
		t.Fatalf("after remove: %s, want %v", r.Raw, want)
	}
	if n, _ := s.Service.Store.ListCount(context.Background(), s.Apps[0].Key, "alice", store.Blocklist); n != int64(len(want)) {
		t.Fatalf("count %d for %d entries", n, len(want))
	}

	// Parameters.
	expectCode(t, c, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", strings.Join(ids("v", 21), ",")), 400, 1005)
	expectCode(t, c, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "bob,alice"), 400, 1002)
	expectCode(t, c, "/user/blacklist/add.json", form("userId", "alice"), 400, 1002)
	expectCode(t, c, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "bad id"), 400, 1002)
	expectCode(t, c, "/user/blacklist/add.json", form("userId", "ghost", "blackUserId", "bob"), 404, 3001)
	expectCode(t, c, "/user/blacklist/remove.json", form("userId", "ghost", "blackUserId", "bob"), 404, 3001)
	expectCode(t, c, "/user/blacklist/query.json", form("userId", "alice", "size", "0"), 400, 1002)
	expectCode(t, c, "/user/blacklist/query.json", form("userId", "alice", "size", "1001"), 400, 1002)
	c.MustOK(t, "/user/blacklist/query.json", form("userId", "alice", "size", "1000"))
	expectCode(t, c, "/user/blacklist/query.json", "userId=alice&size=1&size=2", 400, 1002)
}

func TestPageTokensAreBoundAndTamperEvident(t *testing.T) {
	a, b := testenv.NewApp(apps.Production), testenv.NewApp(apps.Production)
	s := testenv.StartStack(t, a, b)
	ca, cb := s.Client(0), s.Client(1)
	register(t, ca, "alice", "bob")
	register(t, cb, "alice")
	for _, c := range []*testenv.APIClient{ca, cb} {
		c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "p,q,r"))
	}
	ca.MustOK(t, "/user/blacklist/add.json", form("userId", "bob", "blackUserId", "p,q,r"))
	ca.MustOK(t, "/user/whitelist/add.json", form("userId", "alice", "whiteUserId", "p,q,r"))

	next := func(c *testenv.APIClient, path, owner string) string {
		r := c.MustOK(t, path, form("userId", owner, "size", "1"))
		tok, _ := r.Body["next"].(string)
		if tok == "" {
			t.Fatalf("%s: no next on a first page of one: %s", path, r.Raw)
		}
		return tok
	}
	tok := next(ca, "/user/blacklist/query.json", "alice")
	r := ca.MustOK(t, "/user/blacklist/query.json", form("userId", "alice", "size", "1", "pageToken", tok))
	if fmt.Sprint(strs(r.Body["users"])) != "[q]" {
		t.Fatalf("second page = %s", r.Raw)
	}

	bad := map[string]string{
		"garbage":         "not-a-token",
		"empty-ish":       "A",
		"truncated":       tok[:len(tok)-2],
		"extended":        tok + "AA",
		"with a newline":  tok[:4] + "\n" + tok[4:],
		"bob's token":     next(ca, "/user/blacklist/query.json", "bob"),
		"whitelist token": next(ca, "/user/whitelist/query.json", "alice"),
		"other app token": next(cb, "/user/blacklist/query.json", "alice"),
		"very long":       strings.Repeat("A", 5000),
	}
	for i := range tok {
		c := byte('A')
		if tok[i] == 'A' {
			c = 'B'
		}
		bad[fmt.Sprint("changed at ", i)] = tok[:i] + string(c) + tok[i+1:]
	}
	for name, b := range bad {
		r := ca.Post(t, "/user/blacklist/query.json", form("userId", "alice", "size", "1", "pageToken", b))
		if r.Status != 400 || r.Code() != 1002 || !strings.Contains(fmt.Sprint(r.Body["errorMessage"]), "pageToken") {
			t.Errorf("%s: HTTP %d %s, want 400 with code 1002 naming pageToken", name, r.Status, r.Raw)
		}
	}
}

func TestListLimit(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	register(t, c, "alice")
	all := ids("t", 3000)
	for i := 0; i < len(all); i += 20 {
		if !okPacing(t, c, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", strings.Join(all[i:i+20], ","))) {
			t.FailNow()
		}
	}
	r := expectCode(t, c, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "one-more"), http.StatusForbidden, 3005)
	if !strings.Contains(fmt.Sprint(r.Body["errorMessage"]), "3000") {
		t.Fatalf("the message should say the limit: %s", r.Raw)
	}
	// Listed users again are fine at the limit; a mix with one new one is refused whole.
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "t0000,t2999"))
	expectCode(t, c, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "t0001,new"), http.StatusForbidden, 3005)
	// The whitelist has its own limit.
	c.MustOK(t, "/user/whitelist/add.json", form("userId", "alice", "whiteUserId", "new"))
	// Making room lets one more in.
	c.MustOK(t, "/user/blacklist/remove.json", form("userId", "alice", "blackUserId", "t0005"))
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "new"))
	expectCode(t, c, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "newer"), http.StatusForbidden, 3005)
	got := flat(pages(t, s, c, "/user/blacklist/query.json", "alice", 1000))
	if len(got) != 3000 || got[0] != "new" || slices.Contains(got, "t0005") {
		t.Fatalf("full list: %d users, first %q", len(got), got[0])
	}
}

func TestWhitelistAndWhitesetting(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	register(t, c, "alice", "bob", "carol")

	s.Calls.Reset()
	r := c.MustOK(t, "/user/whitesetting/query.json", form("userId", "alice,bob"))
	if r.Raw != `{"code":200,"users":[{"userId":"alice","whiteSetting":"0"},{"userId":"bob","whiteSetting":"0"}]}` {
		t.Fatalf("default = %s", r.Raw)
	}
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("whitesetting query made %d calls", n)
	}
	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "alice", "userId", "carol", "whiteSetting", "1"))
	r = c.MustOK(t, "/user/whitesetting/query.json", form("userId", "carol,bob,alice"))
	if r.Raw != `{"code":200,"users":[{"userId":"carol","whiteSetting":"1"},{"userId":"bob","whiteSetting":"0"},{"userId":"alice","whiteSetting":"1"}]}` {
		t.Fatalf("after set = %s", r.Raw)
	}
	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "carol", "whiteSetting", "0"))
	r = c.MustOK(t, "/user/whitesetting/query.json", form("userId", "carol"))
	if r.Raw != `{"code":200,"users":[{"userId":"carol","whiteSetting":"0"}]}` {
		t.Fatalf("after unset = %s", r.Raw)
	}
	// All or nothing: an unknown user refuses the call and changes nobody.
	expectCode(t, c, "/user/whitesetting/set.json", form("userId", "bob,ghost", "whiteSetting", "1"), 404, 3001)
	r = c.MustOK(t, "/user/whitesetting/query.json", form("userId", "bob"))
	if !strings.Contains(r.Raw, `"whiteSetting":"0"`) {
		t.Fatalf("a refused set changed bob: %s", r.Raw)
	}
	expectCode(t, c, "/user/whitesetting/query.json", form("userId", "ghost"), 404, 3001)
	expectCode(t, c, "/user/whitesetting/set.json", form("userId", "bob", "whiteSetting", "2"), 400, 1002)
	expectCode(t, c, "/user/whitesetting/set.json", form("userId", "bob"), 400, 1002)
	expectCode(t, c, "/user/whitesetting/query.json", form("userId", strings.Join(ids("w", 21), ",")), 400, 1005)

	// The whitelist pages like the blocklist and is a list of its own.
	for _, u := range []string{"bob", "carol", "dave"} {
		s.Clock.Advance(time.Millisecond)
		c.MustOK(t, "/user/whitelist/add.json", form("userId", "alice", "whiteUserId", u))
	}
	got := pages(t, s, c, "/user/whitelist/query.json", "alice", 2)
	if fmt.Sprint(got) != "[[dave carol] [bob]]" {
		t.Fatalf("whitelist pages = %v", got)
	}
	if bl := c.MustOK(t, "/user/blacklist/query.json", form("userId", "alice")); bl.Raw != `{"code":200,"users":[]}` {
		t.Fatalf("the whitelist leaked into the blocklist: %s", bl.Raw)
	}
	c.MustOK(t, "/user/whitelist/remove.json", form("userId", "alice", "whiteUserId", "carol"))
	if got := flat(pages(t, s, c, "/user/whitelist/query.json", "alice", 10)); fmt.Sprint(got) != "[dave bob]" {
		t.Fatalf("after remove: %v", got)
	}
	expectCode(t, c, "/user/whitelist/add.json", form("userId", "alice", "whiteUserId", "alice"), 400, 1002)
	expectCode(t, c, "/user/whitelist/add.json", form("userId", "alice", "blackUserId", "bob"), 400, 1002)

	// A deactivated user's lists and settings cannot be changed.
	c.MustOK(t, "/user/deactivate.json", form("userId", "carol"))
	expectCode(t, c, "/user/whitelist/add.json", form("userId", "carol", "whiteUserId", "bob"), 403, 3002)
	expectCode(t, c, "/user/blacklist/remove.json", form("userId", "carol", "blackUserId", "bob"), 403, 3002)
	expectCode(t, c, "/user/whitesetting/set.json", form("userId", "carol", "whiteSetting", "1"), 403, 3002)
}

// friendsOf lists a user's friends in one order, page by page, checking the budget and that
// totalCount is the same on every page.
func friendsOf(t *testing.T, s *testenv.Stack, c *testenv.APIClient, user string, size, order int) ([]map[string]any, int) {
	t.Helper()
	var out []map[string]any
	total := -1
	tok := ""
	for range 1000 {
		f := form("userId", user, "size", fmt.Sprint(size), "order", fmt.Sprint(order))
		if tok != "" {
			f.Set("pageToken", tok)
		}
		s.Calls.Reset()
		r := c.MustOK(t, "/friend/get.json", f)
		// The first page's count rides in the same Query: the counter heads the list's index.
		if calls := s.Calls.Calls(); calls.Total() != 1 || calls.Query != 1 {
			t.Fatalf("friend page made %+v, budget one Query", calls)
		}
		n, ok := r.Body["totalCount"].(float64)
		if !ok || (total >= 0 && int(n) != total) {
			t.Fatalf("totalCount %v after %d on earlier pages: %s", r.Body["totalCount"], total, r.Raw)
		}
		total = int(n)
		list, _ := r.Body["friendList"].([]any)
		for _, e := range list {
			out = append(out, e.(map[string]any))
		}
		tok, _ = r.Body["pageToken"].(string)
		if _, present := r.Body["pageToken"]; !present {
			t.Fatalf("pageToken missing (it is \"\" on the last page): %s", r.Raw)
		}
		if tok == "" {
			return out, total
		}
		if len(list) != size {
			t.Fatalf("a page of %d before the last with size %d", len(list), size)
		}
	}
	t.Fatal("paging does not end")
	return nil, 0
}

func userIDs(list []map[string]any) []string {
	var out []string
	for _, f := range list {
		out = append(out, fmt.Sprint(f["userId"]))
	}
	return out
}

// check answers friend/check for owner and targets, as "target:result" pairs.
func check(t *testing.T, c *testenv.APIClient, owner string, targets ...string) string {
	t.Helper()
	r := c.MustOK(t, "/friend/check.json", form("userId", owner, "targetIds", strings.Join(targets, ",")))
	var out []string
	list, _ := r.Body["results"].([]any)
	for _, e := range list {
		m := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v", m["userId"], m["result"]))
	}
	return strings.Join(out, " ")
}

func TestFriendsBothDirections(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	register(t, c, "alice", "bob", "carol", "dave", "erin")

	// optType left out is optType 1, as the official server SDKs send it.
	c.MustOK(t, "/friend/add.json", form("userId", "alice", "targetId", "bob", "extra", "hi"))
	if got := check(t, c, "alice", "bob", "carol"); got != "bob:4 carol:1" {
		t.Fatalf("alice's view: %s", got)
	}
	if got := check(t, c, "bob", "alice"); got != "alice:4" {
		t.Fatalf("bob's view after alice added him: %s", got)
	}
	// Adding again is harmless; adding from the other side too.
	c.MustOK(t, "/friend/add.json", form("userId", "bob", "targetId", "alice", "optType", "2"))
	s.Clock.Advance(time.Millisecond)
	c.MustOK(t, "/friend/add.json", form("userId", "alice", "targetId", "carol", "optType", "2"))
	s.Clock.Advance(time.Millisecond)
	c.MustOK(t, "/friend/add.json", form("userId", "dave", "targetId", "alice", "optType", "2"))

	// Permissions: the default answers 1; 2 and 3 refuse optType 1 and store nothing; optType 2
	// adds whatever the permission.
	s.Calls.Reset()
	r := c.MustOK(t, "/friend/permission/get.json", form("userIds", "erin,bob"))
	if r.Raw != `{"code":200,"permissionSettings":[{"userId":"erin","type":1},{"userId":"bob","type":1}]}` {
		t.Fatalf("default permissions = %s", r.Raw)
	}
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("permission get made %d calls", n)
	}
	c.MustOK(t, "/friend/permission/set.json", form("userIds", "erin", "permissionType", "2"))
	expectCode(t, c, "/friend/add.json", form("userId", "bob", "targetId", "erin", "optType", "1"), 403, 3007)
	// Without optType the permission is honoured, as with optType 1.
	expectCode(t, c, "/friend/add.json", form("userId", "bob", "targetId", "erin"), 403, 3007)
	expectCode(t, c, "/friend/add.json", form("userId", "bob", "targetId", "erin", "optType", ""), 403, 3007)
	c.MustOK(t, "/friend/permission/set.json", form("userIds", "erin,carol", "permissionType", "3"))
	r = c.MustOK(t, "/friend/permission/get.json", form("userIds", "erin,carol,dave"))
	if r.Raw != `{"code":200,"permissionSettings":[{"userId":"erin","type":3},{"userId":"carol","type":3},{"userId":"dave","type":1}]}` {
		t.Fatalf("permissions = %s", r.Raw)
	}
	expectCode(t, c, "/friend/add.json", form("userId", "bob", "targetId", "erin", "optType", "1"), 403, 3006)
	expectCode(t, c, "/friend/add.json", form("userId", "bob", "targetId", "erin"), 403, 3006)
	if got := check(t, c, "erin", "bob"); got != "bob:1" {
		t.Fatalf("a refused add stored something: %s", got)
	}
	if got := check(t, c, "bob", "erin"); got != "erin:1" {
		t.Fatalf("a refused add stored something: %s", got)
	}
	c.MustOK(t, "/friend/add.json", form("userId", "bob", "targetId", "erin", "optType", "2"))
	if check(t, c, "erin", "bob") != "bob:4" {
		t.Fatal("optType 2 must add whatever the permission")
	}

	// Lists: by time added, both orders, with the friend's name; totalCount on every page.
	for _, tc := range []struct {
		order int
		want  string
	}{{0, "[bob carol dave]"}, {1, "[dave carol bob]"}} {
		for _, size := range []int{1, 2, 3, 50} {
			list, total := friendsOf(t, s, c, "alice", size, tc.order)
			if fmt.Sprint(userIDs(list)) != tc.want || total != 3 {
				t.Fatalf("order %d size %d: %v total %d, want %s total 3", tc.order, size, userIDs(list), total, tc.want)
			}
		}
	}
	list, total := friendsOf(t, s, c, "bob", 50, 0)
	if fmt.Sprint(userIDs(list)) != "[alice erin]" || total != 2 || list[0]["name"] != "Name of alice" {
		t.Fatalf("bob's friends = %v, total %d", list, total)
	}
	if at, _ := list[0]["time"].(float64); time.Since(time.UnixMilli(int64(at))) > time.Minute {
		t.Fatalf("time = %v, want the ms the friendship was made", list[0]["time"])
	}

	// Remarks and extension profiles: an absent parameter leaves its field; empty clears it.
	c.MustOK(t, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob", "remarkName", "Bobby", "friendExtProfile", `{"tag":"work","n":1}`))
	c.MustOK(t, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob", "friendExtProfile", `{"tag":"home"}`))
	list, _ = friendsOf(t, s, c, "alice", 50, 0)
	if list[0]["remarkName"] != "Bobby" || list[0]["friendExtProfile"] != `{"tag":"home"}` {
		t.Fatalf("after profile set: %v", list[0])
	}
	c.MustOK(t, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob", "remarkName", ""))
	list, _ = friendsOf(t, s, c, "alice", 50, 0)
	if list[0]["remarkName"] != "" || list[0]["friendExtProfile"] != `{"tag":"home"}` {
		t.Fatalf("after clearing the remark: %v", list[0])
	}
	if other, _ := friendsOf(t, s, c, "bob", 50, 0); other[0]["remarkName"] != "" {
		t.Fatalf("alice's remark showed on bob's side: %v", other[0])
	}
	expectCode(t, c, "/friend/profile/set.json", form("userId", "alice", "targetId", "erin", "remarkName", "x"), 403, 3008)
	expectCode(t, c, "/friend/profile/set.json", form("userId", "ghost", "targetId", "bob", "remarkName", "x"), 404, 3001)
	expectCode(t, c, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob"), 400, 1002)
	expectCode(t, c, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob", "friendExtProfile", "[1]"), 400, 1002)
	expectCode(t, c, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob", "friendExtProfile", "{"), 400, 1002)
	eleven := `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"k":1}`
	expectCode(t, c, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob", "friendExtProfile", eleven), 400, 1005)
	expectCode(t, c, "/friend/profile/set.json", form("userId", "alice", "targetId", "bob", "remarkName", strings.Repeat("r", 65)), 400, 1005)

	// Delete ends both directions; clean ends every friendship of the user, both directions.
	c.MustOK(t, "/friend/delete.json", form("userId", "bob", "targetIds", "alice,nobody"))
	if got := check(t, c, "alice", "bob", "carol", "dave"); got != "bob:1 carol:4 dave:4" {
		t.Fatalf("after bob deleted alice, alice's view: %s", got)
	}
	if got := check(t, c, "bob", "alice", "erin"); got != "alice:1 erin:4" {
		t.Fatalf("after bob deleted alice, bob's view: %s", got)
	}
	c.MustOK(t, "/friend/clean.json", form("userId", "alice"))
	for _, u := range []string{"carol", "dave"} {
		if got := check(t, c, u, "alice"); got != "alice:1" {
			t.Fatalf("after alice's clean, %s's view: %s", u, got)
		}
		if _, total := friendsOf(t, s, c, u, 50, 1); total != 0 {
			t.Fatalf("%s still counts %d friends", u, total)
		}
	}
	if list, total := friendsOf(t, s, c, "alice", 50, 0); len(list) != 0 || total != 0 {
		t.Fatalf("after clean alice has %v, total %d", list, total)
	}
	if _, total := friendsOf(t, s, c, "erin", 50, 0); total != 1 {
		t.Fatalf("erin's friendship with bob was touched: total %d", total)
	}

	// Parameters and users.
	expectCode(t, c, "/friend/add.json", form("userId", "alice", "targetId", "alice", "optType", "2"), 400, 1002)
	expectCode(t, c, "/friend/add.json", form("userId", "alice", "targetId", "ghost", "optType", "2"), 404, 3001)
	expectCode(t, c, "/friend/add.json", form("userId", "alice", "targetId", "bob", "optType", "3"), 400, 1002)
	expectCode(t, c, "/friend/add.json", form("userId", "alice", "targetId", "bob", "optType", "0"), 400, 1002)
	expectCode(t, c, "/friend/add.json", "userId=alice&targetId=bob&optType=1&optType=2", 400, 1002)
	expectCode(t, c, "/friend/add.json", form("userId", "alice", "targetId", "bob", "optType", "2", "extra", strings.Repeat("e", 129)), 400, 1005)
	expectCode(t, c, "/friend/delete.json", form("userId", "alice", "targetIds", strings.Join(ids("f", 101), ",")), 400, 1005)
	expectCode(t, c, "/friend/check.json", form("userId", "ghost", "targetIds", "bob"), 404, 3001)
	expectCode(t, c, "/friend/permission/set.json", form("userIds", "bob", "permissionType", "4"), 400, 1002)
	expectCode(t, c, "/friend/permission/set.json", form("userIds", "bob,ghost", "permissionType", "3"), 404, 3001)
	expectCode(t, c, "/friend/permission/get.json", form("userIds", strings.Join(ids("f", 101), ",")), 400, 1005)
	expectCode(t, c, "/friend/get.json", form("userId", "alice", "size", "101"), 400, 1002)
	expectCode(t, c, "/friend/get.json", form("userId", "alice", "order", "2"), 400, 1002)
	expectCode(t, c, "/friend/clean.json", form("userId", "ghost"), 404, 3001)
	c.MustOK(t, "/user/deactivate.json", form("userId", "dave"))
	expectCode(t, c, "/friend/add.json", form("userId", "carol", "targetId", "dave", "optType", "2"), 403, 3002)
	expectCode(t, c, "/friend/add.json", form("userId", "dave", "targetId", "carol", "optType", "2"), 403, 3002)
}

func TestFriendPagesAndTokens(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	friends := ids("f", 23)
	register(t, c, append([]string{"alice", "bob"}, friends...)...)
	for _, f := range friends {
		s.Clock.Advance(time.Millisecond)
		c.MustOK(t, "/friend/add.json", form("userId", "alice", "targetId", f, "optType", "2"))
	}
	newest := slices.Clone(friends)
	slices.Reverse(newest)
	for _, size := range []int{1, 5, 22, 23, 24, 100} {
		for order, want := range [][]string{friends, newest} {
			list, total := friendsOf(t, s, c, "alice", size, order)
			if fmt.Sprint(userIDs(list)) != fmt.Sprint(want) || total != 23 {
				t.Fatalf("size %d order %d: %v total %d", size, order, userIDs(list), total)
			}
		}
	}
	// The default page is 50.
	r := c.MustOK(t, "/friend/get.json", form("userId", "alice"))
	if list, _ := r.Body["friendList"].([]any); len(list) != 23 || r.Body["pageToken"] != "" {
		t.Fatalf("default page = %d friends, pageToken %v", len(list), r.Body["pageToken"])
	}

	first := func(user string, order int) string {
		r := c.MustOK(t, "/friend/get.json", form("userId", user, "size", "1", "order", fmt.Sprint(order)))
		return r.Body["pageToken"].(string)
	}
	c.MustOK(t, "/friend/add.json", form("userId", "bob", "targetId", "f0001", "optType", "2"))
	c.MustOK(t, "/friend/add.json", form("userId", "bob", "targetId", "f0002", "optType", "2"))
	tok := first("alice", 0)
	c.MustOK(t, "/friend/get.json", form("userId", "alice", "size", "1", "order", "0", "pageToken", tok))
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "x,y"))
	blTok := c.MustOK(t, "/user/blacklist/query.json", form("userId", "alice", "size", "1")).Body["next"].(string)
	for name, bad := range map[string]string{
		"other order": first("alice", 1),
		"other user":  first("bob", 0),
		"blocklist":   blTok,
		"altered":     tok[:len(tok)-3] + "xyz",
		"garbage":     "%%%",
	} {
		r := c.Post(t, "/friend/get.json", form("userId", "alice", "size", "1", "order", "0", "pageToken", bad))
		if r.Status != 400 || r.Code() != 1002 {
			t.Errorf("%s: HTTP %d %s, want 1002", name, r.Status, r.Raw)
		}
	}
	// A friends token in the blocklist query is refused there too.
	expectCode(t, c, "/user/blacklist/query.json", form("userId", "alice", "pageToken", tok), 400, 1002)

	// check costs one batched read for up to 99 targets (the owner's profile rides along).
	s.Calls.Reset()
	c.MustOK(t, "/friend/check.json", form("userId", "alice", "targetIds", strings.Join(ids("f", 99), ",")))
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Fatalf("check of 99 made %+v", calls)
	}
}

// settingsJSON is /app/setting/query.json's answer with friends-only and the token lifetime
// as given and webhooks at their defaults.
func settingsJSON(friendsOnly int, tokenTTLDays any) string {
	return fmt.Sprintf(`{"code":200,"friendsOnlyDirectMessages":%d,"tokenTtlDays":%v,"webhookUrl":"","webhookFormat":"rongcloud",`+
		`"webhookEvents":["user:connection_status","user:activation_state","user:profile_update"],"webhookUrls":{}}`, friendsOnly, tokenTTLDays)
}

func TestAppSettings(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production), testenv.NewApp(apps.Development))
	a, b := s.Client(0), s.Client(1)
	query := func(c *testenv.APIClient, want string) {
		t.Helper()
		if r := c.MustOK(t, "/app/setting/query.json", nil); r.Raw != want {
			t.Fatalf("settings = %s, want %s", r.Raw, want)
		}
	}
	query(a, settingsJSON(0, 0))
	a.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "1"))
	query(a, settingsJSON(1, 0))
	query(b, settingsJSON(0, 0))
	// Each parameter is optional: a setting left out keeps its value.
	s.Calls.Reset()
	a.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "7"))
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.UpdateItem != 1 {
		t.Fatalf("set made %+v, budget one write", calls)
	}
	query(a, settingsJSON(1, 7))
	a.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "0"))
	query(a, settingsJSON(0, 7))
	for _, days := range []string{"30", "1", "0"} {
		a.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", days, "friendsOnlyDirectMessages", "1"))
		query(a, settingsJSON(1, days))
	}
	s.Calls.Reset()
	query(a, settingsJSON(1, 0))
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Fatalf("query made %d calls, budget 1", n)
	}
	query(b, settingsJSON(0, 0))

	// Bad values answer 1002 and change nothing, not even a good setting sent beside them.
	a.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "7"))
	for _, bad := range []any{
		form("friendsOnlyDirectMessages", "yes"),
		form("friendsOnlyDirectMessages", ""),
		form("tokenTtlDays", "2"),
		form("tokenTtlDays", "-1"),
		form("tokenTtlDays", "31"),
		form("tokenTtlDays", "7.0"),
		form("tokenTtlDays", ""),
		form("tokenTtlDays", "99999999999999999999"),
		form("tokenTtlDays", "2", "friendsOnlyDirectMessages", "0"),
		form("tokenTtlDays", "30", "friendsOnlyDirectMessages", "2"),
		"tokenTtlDays=1&tokenTtlDays=30",
		nil,                        // sets nothing
		form("somethingElse", "1"), // sets nothing
	} {
		expectCode(t, a, "/app/setting/set.json", bad, 400, 1002)
	}
	query(a, settingsJSON(1, 7))
	wrong := *a
	wrong.App.Secret = "not-the-secret"
	expectCode(t, &wrong, "/app/setting/set.json", form("friendsOnlyDirectMessages", "0"), 401, 1004)
	query(a, settingsJSON(1, 7))
}

// The webhook settings: each parameter optional and kept when left out, every bad value
// refused with its code and nothing changed, one write per call.
func TestWebhookSettings(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production), testenv.NewApp(apps.Development))
	prod, dev := s.Client(0), s.Client(1)
	prod.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "1"))

	s.Calls.Reset()
	prod.MustOK(t, "/app/setting/set.json", form("webhookUrl", "https://hooks.example.com/im?x=1", "webhookFormat", "nexconn",
		"webhookEvents", "user:banned,user:ban_expired", "webhookEvents", "user:connection_status",
		"webhookUrls", `{"user:banned":"https://bans.example.com/"}`))
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.UpdateItem != 1 {
		t.Fatalf("set made %+v", calls)
	}
	want := `{"code":200,"friendsOnlyDirectMessages":1,"tokenTtlDays":0,"webhookUrl":"https://hooks.example.com/im?x=1","webhookFormat":"nexconn",` +
		`"webhookEvents":["user:banned","user:ban_expired","user:connection_status"],"webhookUrls":{"user:banned":"https://bans.example.com/"}}`
	if r := prod.MustOK(t, "/app/setting/query.json", nil); r.Raw != want {
		t.Fatalf("after set = %s\nwant %s", r.Raw, want)
	}
	// A setting left out keeps its value.
	prod.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "1"))
	if r := prod.MustOK(t, "/app/setting/query.json", nil); r.Raw != want {
		t.Fatalf("friends-only alone changed webhooks: %s", r.Raw)
	}

	for _, tc := range []struct {
		c      *testenv.APIClient
		f      []string
		status int
		code   int
	}{
		{prod, []string{"webhookUrl", "http://hooks.example.com/"}, 401, 1007},
		{prod, []string{"webhookUrl", "https://" + strings.Repeat("a", 1020) + ".com/"}, 400, 1005},
		{prod, []string{"webhookUrl", "ftp://hooks.example.com/"}, 400, 1002},
		{prod, []string{"webhookUrl", "/relative"}, 400, 1002},
		{prod, []string{"webhookUrl", "https://user:pw@hooks.example.com/"}, 400, 1002},
		{prod, []string{"webhookUrl", "https://hooks.example.com/#part"}, 400, 1002},
		{prod, []string{"webhookUrl", "https://10.0.0.8/"}, 400, 1002},
		{prod, []string{"webhookUrl", "https://169.254.169.254/latest"}, 400, 1002},
		{prod, []string{"webhookUrl", "https://[fd00::1]/"}, 400, 1002},
		{prod, []string{"webhookFormat", "json"}, 400, 1002},
		{prod, []string{"webhookEvents", "user:renamed"}, 400, 1002},
		// rongcloud carries none of our own events: the stored format (nexconn) allows them,
		// the one sent in the same call does not.
		{prod, []string{"webhookFormat", "rongcloud", "webhookEvents", "user:banned"}, 400, 1002},
		// Without a format in the call, the stored one decides (the development app's is the
		// default, rongcloud).
		{dev, []string{"webhookEvents", "user:banned"}, 400, 1002},
		{prod, []string{"webhookUrls", `["https://a.example.com/"]`}, 400, 1002},
		{prod, []string{"webhookUrls", `{"user:renamed":"https://a.example.com/"}`}, 400, 1002},
		{prod, []string{"webhookUrls", `{"user:banned":"http://a.example.com/"}`}, 401, 1007},
		{prod, []string{"webhookUrls", `{"user:banned":"https://` + strings.Repeat("a", 9000) + `"}`}, 400, 1005},
		{prod, []string{"webhookUrl", "https://hooks.example.com/", "webhookUrl", "https://b.example.com/"}, 400, 1002},
		{prod, []string{"webhookUrl", "https://ok.example.com/", "friendsOnlyDirectMessages", "2"}, 400, 1002},
		{prod, []string{"unknown", "1"}, 400, 1002},
	} {
		expectCode(t, tc.c, "/app/setting/set.json", form(tc.f...), tc.status, tc.code)
	}
	if r := prod.MustOK(t, "/app/setting/query.json", nil); r.Raw != want {
		t.Fatalf("refused calls changed the settings: %s", r.Raw)
	}

	// A development app may use http; the local stack allows loopback for every app; "" turns
	// webhooks off and an empty override drops it.
	dev.MustOK(t, "/app/setting/set.json", form("webhookUrl", "http://hooks.example.com/"))
	prod.MustOK(t, "/app/setting/set.json", form("webhookUrl", "http://127.0.0.1:9/hook"))
	prod.MustOK(t, "/app/setting/set.json", form("webhookUrl", "", "webhookUrls", `{"user:banned":""}`, "webhookEvents", ""))
	want = `{"code":200,"friendsOnlyDirectMessages":1,"tokenTtlDays":0,"webhookUrl":"","webhookFormat":"nexconn","webhookEvents":["user:connection_status",` +
		`"user:activation_state","user:profile_update","user:banned","user:unbanned","user:ban_expired","user:deactivation_erased"],"webhookUrls":{}}`
	if r := prod.MustOK(t, "/app/setting/query.json", nil); r.Raw != want {
		t.Fatalf("after turning off = %s\nwant %s", r.Raw, want)
	}
}
