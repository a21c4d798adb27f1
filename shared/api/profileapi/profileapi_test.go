package profileapi_test

import (
	"encoding/json"
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

// profile is one userList entry as the official SDKs decode it: both profiles are strings.
type profile struct {
	UserID  string `json:"userId"`
	Version int64  `json:"version"`
	Profile string `json:"userProfile"`
	Ext     string `json:"userExtProfile"`
}

// userList posts a profile query and decodes its userList.
func userList(t *testing.T, c *testenv.APIClient, path string, f any) []profile {
	t.Helper()
	r := c.MustOK(t, path, f)
	var body struct {
		Users []profile `json:"userList"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &body); err != nil || body.Users == nil {
		t.Fatalf("%s: userList not a list of profiles with string fields: %s", path, r.Raw)
	}
	return body.Users
}

// batch reads the users' hosted profiles.
func batch(t *testing.T, c *testenv.APIClient, users ...string) []profile {
	t.Helper()
	return userList(t, c, "/user/profile/batch/query.json", form("userId", strings.Join(users, ",")))
}

func ids(list []profile) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.UserID
	}
	return out
}

// budget resets the call counter, runs fn, and fails unless the DynamoDB calls are want.
func budget(t *testing.T, s *testenv.Stack, what string, want store.Calls, fn func()) {
	t.Helper()
	s.Calls.Reset()
	fn()
	if got := s.Calls.Calls(); got != want {
		t.Errorf("%s made %+v DynamoDB calls, budget %+v", what, got, want)
	}
}

func TestProfileSetAndBatchQuery(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	for _, u := range []string{"alice", "bob"} {
		c.Register(t, u)
	}
	before := time.Now().UnixMilli()
	budget(t, s, "a profile set", store.Calls{BatchGetItem: 1, PutItem: 1}, func() {
		c.MustOK(t, "/user/profile/set.json", form("userId", "alice",
			"userProfile", `{"name":"Nick","level":2,"gender":"1","uniqueId":"A7"}`, "userExtProfile", `{"ext_city":"bj"}`))
	})
	var got []profile
	budget(t, s, "a batch query", store.Calls{BatchGetItem: 1}, func() {
		got = batch(t, c, "alice", "bob", "nobody", "alice")
	})
	if len(got) != 1 || got[0].UserID != "alice" {
		t.Fatalf("batch query: %+v, want alice alone (bob has no profile, nobody does not exist)", got)
	}
	if want := `{"gender":1,"level":2,"name":"Nick","uniqueId":"A7"}`; got[0].Profile != want {
		t.Errorf("userProfile = %s, want %s (numbers as numbers)", got[0].Profile, want)
	}
	if got[0].Ext != `{"ext_city":"bj"}` {
		t.Errorf("userExtProfile = %s", got[0].Ext)
	}
	if v := got[0].Version; v < before || v > time.Now().UnixMilli() {
		t.Errorf("version %d is not the time of the change (ms)", v)
	}

	// Only the ext part: the basic part answers "{}".
	c.MustOK(t, "/user/profile/set.json", form("userId", "bob", "userProfile", "", "userExtProfile", `{"ext_a":"1"}`))
	if got := batch(t, c, "bob"); len(got) != 1 || got[0].Profile != "{}" || got[0].Ext != `{"ext_a":"1"}` {
		t.Errorf("bob's profile: %+v", got)
	}
	// Repeated keys and comma-joined lists both reach the batch query, in the order asked.
	r := c.MustOK(t, "/user/profile/batch/query.json", "userId=bob&userId=alice")
	var body struct{ UserList []profile }
	_ = json.Unmarshal([]byte(r.Raw), &body)
	if fmt.Sprint(ids(body.UserList)) != "[bob alice]" {
		t.Errorf("repeated userId keys: %s", r.Raw)
	}
}

func TestProfileSetMerges(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	c.Register(t, "alice")
	set := func(basic, ext string) {
		t.Helper()
		c.MustOK(t, "/user/profile/set.json", form("userId", "alice", "userProfile", basic, "userExtProfile", ext))
	}
	set(`{"name":"Nick","gender":1,"email":"n@example.com"}`, `{"ext_a":"1","ext_b":"2"}`)
	v1 := batch(t, c, "alice")[0].Version
	// Keys given replace theirs, "" and null remove, keys not given stay.
	set(`{"name":"Nicky","gender":null,"email":""}`, `{"ext_b":"","ext_c":"3"}`)
	got := batch(t, c, "alice")[0]
	if got.Profile != `{"name":"Nicky"}` || got.Ext != `{"ext_a":"1","ext_c":"3"}` {
		t.Fatalf("after the merge: %+v", got)
	}
	if got.Version <= v1 {
		t.Fatalf("version %d after %d: must increase", got.Version, v1)
	}
	// A set that changes nothing keeps the version and writes nothing.
	budget(t, s, "a set that changes nothing", store.Calls{BatchGetItem: 1}, func() {
		set(`{"name":"Nicky","role":null}`, `{"ext_a":"1"}`)
	})
	if again := batch(t, c, "alice")[0]; again != got {
		t.Fatalf("a set that changed nothing changed %+v into %+v", got, again)
	}
	// Removing every key leaves no profile: the user drops out of both queries.
	set(`{"name":null}`, `{"ext_a":null,"ext_c":""}`)
	if list := batch(t, c, "alice"); len(list) != 0 {
		t.Fatalf("an emptied profile still answers %+v", list)
	}
	if list := userList(t, c, "/user/profile/query.json", form()); len(list) != 0 {
		t.Fatalf("an emptied profile is still listed: %+v", list)
	}
	// Set again, its version still follows the removed one.
	set(`{"level":"7"}`, "")
	if p := batch(t, c, "alice")[0]; p.Version <= got.Version || p.Profile != `{"level":7}` {
		t.Fatalf("set after emptying: %+v", p)
	}
}

// TestProfileIndependentOfUserInfo: the hosted profile and /user/info.json's name and portrait
// never change each other.
func TestProfileIndependentOfUserInfo(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	c.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice", "portraitUri", "https://img/a"))
	if list := batch(t, c, "alice"); len(list) != 0 {
		t.Fatalf("registering made a hosted profile: %+v", list)
	}
	c.MustOK(t, "/user/profile/set.json", form("userId", "alice", "userProfile", `{"name":"Nick","portraitUri":"https://img/n"}`))
	info := c.MustOK(t, "/user/info.json", form("userId", "alice"))
	if info.Body["userName"] != "Alice" || info.Body["userPortrait"] != "https://img/a" {
		t.Fatalf("profile set changed the user's info: %s", info.Raw)
	}
	c.MustOK(t, "/user/refresh.json", form("userId", "alice", "name", "Alice Two", "portraitUri", "https://img/2"))
	c.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice Three"))
	if p := batch(t, c, "alice"); len(p) != 1 || p[0].Profile != `{"name":"Nick","portraitUri":"https://img/n"}` {
		t.Fatalf("refresh or getToken changed the hosted profile: %+v", p)
	}
}

// TestProfileSetRefusesBadInput sends every documented bad input and checks its code, the
// profileKey it names, and that nothing changed.
func TestProfileSetRefusesBadInput(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	for _, u := range []string{"alice", "gone"} {
		c.Register(t, u)
	}
	ext := map[string]string{}
	for i := range 20 {
		ext[fmt.Sprintf("ext_k%02d", i)] = "v"
	}
	full, _ := json.Marshal(ext)
	c.MustOK(t, "/user/profile/set.json", form("userId", "alice", "userProfile", `{"name":"Nick"}`, "userExtProfile", string(full)))
	c.MustOK(t, "/user/profile/set.json", form("userId", "gone", "userProfile", `{"name":"Gone"}`))
	c.MustOK(t, "/user/deactivate.json", form("userId", "gone"))
	s.Gateway.Wait()
	before := batch(t, c, "alice")

	long := func(n int) string { return strings.Repeat("é", n) }
	for _, tc := range []struct {
		name, basic, ext string
		status, code     int
		key              string
	}{
		{"both absent", "", "", 400, 1002, ""},
		{"not JSON", `{"name":`, "", 400, 1002, ""},
		{"a JSON array", `["name"]`, "", 400, 1002, ""},
		{"JSON null", `null`, "", 400, 1002, ""},
		{"ext not an object", "", `"ext_a"`, 400, 1002, ""},
		{"unknown key", `{"nickname":"N"}`, "", 400, 1002, "nickname"},
		{"name not a string", `{"name":12}`, "", 400, 1002, "name"},
		{"name too long", `{"name":"` + long(65) + `"}`, "", 400, 1005, "name"},
		{"portrait too long", `{"portraitUri":"` + strings.Repeat("a", 1025) + `"}`, "", 400, 1005, "portraitUri"},
		{"uniqueId not alphanumeric", `{"uniqueId":"a-1"}`, "", 400, 1002, "uniqueId"},
		{"uniqueId too long", `{"uniqueId":"` + strings.Repeat("a", 33) + `"}`, "", 400, 1005, "uniqueId"},
		{"email too long", `{"email":"` + long(129) + `"}`, "", 400, 1005, "email"},
		{"birthday too long", `{"birthday":"` + long(33) + `"}`, "", 400, 1005, "birthday"},
		{"location too long", `{"location":"` + long(33) + `"}`, "", 400, 1005, "location"},
		{"gender out of range", `{"gender":3}`, "", 400, 1002, "gender"},
		{"gender not a number", `{"gender":"male"}`, "", 400, 1002, "gender"},
		{"level a fraction", `{"level":2.5}`, "", 400, 1002, "level"},
		{"level out of range", `{"level":"101"}`, "", 400, 1002, "level"},
		{"role negative", `{"role":-1}`, "", 400, 1002, "role"},
		{"role a boolean", `{"role":true}`, "", 400, 1002, "role"},
		{"ext key without prefix", "", `{"city":"bj"}`, 400, 1002, "city"},
		{"ext key only the prefix", "", `{"ext_":"bj"}`, 400, 1002, "ext_"},
		{"ext key with a dash", "", `{"ext_a-b":"bj"}`, 400, 1002, "ext_a-b"},
		{"ext key too long", "", `{"ext_` + strings.Repeat("a", 29) + `":"bj"}`, 400, 1005, "ext_" + strings.Repeat("a", 29)},
		{"ext value not a string", "", `{"ext_a":1}`, 400, 1002, "ext_a"},
		{"ext value too long", "", `{"ext_a":"` + long(257) + `"}`, 400, 1005, "ext_a"},
		{"a 21st ext pair", "", `{"ext_new":"v"}`, 400, 1005, "userExtProfile"},
		{"good basic, bad ext", `{"name":"Other"}`, `{"ext_a":[1]}`, 400, 1002, "ext_a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Expect(t, "/user/profile/set.json", form("userId", "alice", "userProfile", tc.basic, "userExtProfile", tc.ext), tc.status, tc.code)
			if key, _ := r.Body["profileKey"].(string); key != tc.key {
				t.Errorf("profileKey = %q, want %q: %s", key, tc.key, r.Raw)
			}
		})
	}
	c.Expect(t, "/user/profile/set.json", form("userProfile", `{"name":"N"}`), 400, 1002)
	c.Expect(t, "/user/profile/set.json", form("userId", "a b", "userProfile", `{"name":"N"}`), 400, 1002)
	c.Expect(t, "/user/profile/set.json", form("userId", "nobody", "userProfile", `{"name":"N"}`), 404, 3001)
	c.Expect(t, "/user/profile/set.json", form("userId", "gone", "userProfile", `{"name":"N"}`), 403, 3002)
	if after := batch(t, c, "alice"); !slices.Equal(after, before) {
		t.Fatalf("refused sets changed alice's profile: %+v, was %+v", after, before)
	}
	if list := batch(t, c, "nobody", "gone"); len(list) != 0 {
		t.Fatalf("refused sets stored profiles: %+v", list)
	}
	// The longest values that fit are taken (characters, not bytes, except the portrait's).
	c.MustOK(t, "/user/profile/set.json", form("userId", "alice", "userProfile",
		`{"name":"`+long(64)+`","portraitUri":"`+strings.Repeat("a", 1024)+`","uniqueId":"`+strings.Repeat("a", 32)+`"}`,
		"userExtProfile", `{"ext_k00":"`+long(256)+`","ext_`+strings.Repeat("a", 28)+`":null}`))
}

func TestProfileClean(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	for _, u := range []string{"alice", "bob", "carol", "gone"} {
		c.Register(t, u)
		if u != "carol" {
			c.MustOK(t, "/user/profile/set.json", form("userId", u, "userProfile", `{"name":"N"}`))
		}
	}
	c.MustOK(t, "/user/deactivate.json", form("userId", "gone"))
	s.Gateway.Wait()
	old := batch(t, c, "alice")[0].Version

	// All or nothing: an unknown or deactivated user anywhere refuses the whole call.
	c.Expect(t, "/user/profile/clean.json", form("userId", "alice,nobody"), 404, 3001)
	c.Expect(t, "/user/profile/clean.json", form("userId", "alice", "userId", "gone"), 403, 3002)
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprintf("u%02d", i)
	}
	c.Expect(t, "/user/profile/clean.json", form("userId", strings.Join(many, ",")), 400, 1005)
	c.Expect(t, "/user/profile/clean.json", form(), 400, 1002)
	if got := ids(batch(t, c, "alice", "bob")); fmt.Sprint(got) != "[alice bob]" {
		t.Fatalf("refused cleans changed profiles: %v", got)
	}

	// carol has no profile: no error, and no write for her.
	budget(t, s, "a clean of 3 users, 2 with a profile", store.Calls{BatchGetItem: 1, PutItem: 2}, func() {
		c.MustOK(t, "/user/profile/clean.json", form("userId", "alice,bob,carol"))
	})
	if list := batch(t, c, "alice", "bob", "carol"); len(list) != 0 {
		t.Fatalf("after clean: %+v", list)
	}
	if list := userList(t, c, "/user/profile/query.json", form()); len(list) != 0 {
		t.Fatalf("cleaned profiles still listed: %+v", list)
	}
	c.MustOK(t, "/user/profile/clean.json", form("userId", "alice"))
	c.MustOK(t, "/user/profile/set.json", form("userId", "alice", "userExtProfile", `{"ext_x":"y"}`))
	if p := batch(t, c, "alice")[0]; p.Version <= old || p.Profile != "{}" {
		t.Fatalf("set after clean: %+v (version before the clean %d)", p, old)
	}
}

// TestProfileQuery lists users with a hosted profile by registration time, then userId, in
// pages, in both orders.
func TestProfileQuery(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	ctx := t.Context()
	var users []string
	for i := range 30 {
		u := fmt.Sprintf("u%02d", 29-i) // registered in the reverse of their names' order
		c.Register(t, u)
		users = append(users, u)
		if i%7 != 3 { // a few registered users have no profile
			c.MustOK(t, "/user/profile/set.json", form("userId", u, "userProfile", `{"level":1}`))
		}
	}
	c.Register(t, "noprofile")
	found, err := s.Service.Store.GetUsers(ctx, s.Apps[0].Key, users)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, u := range users {
		if i%7 != 3 {
			want = append(want, u)
		}
	}
	slices.SortFunc(want, func(a, b string) int {
		if d := found[a].CreatedAt - found[b].CreatedAt; d != 0 {
			return int(d)
		}
		return strings.Compare(a, b)
	})
	reverse := slices.Clone(want)
	slices.Reverse(reverse)

	page := func(f any) []string {
		t.Helper()
		return ids(userList(t, c, "/user/profile/query.json", f))
	}
	budget(t, s, "the first page", store.Calls{Query: store.IndexShards, BatchGetItem: 1}, func() {
		if got := page(form()); !slices.Equal(got, want[:20]) {
			t.Fatalf("default page: %v, want %v", got, want[:20])
		}
	})
	if got := page(form("page", "2", "size", "10", "order", "0")); !slices.Equal(got, want[10:20]) {
		t.Errorf("page 2 of 10: %v, want %v", got, want[10:20])
	}
	if got := page(form("page", "3", "count", "10")); !slices.Equal(got, want[20:]) {
		t.Errorf("count as size, last page: %v, want %v", got, want[20:])
	}
	if got := page(form("size", "100", "order", "1")); !slices.Equal(got, reverse) {
		t.Errorf("order 1: %v, want exactly the reverse %v", got, reverse)
	}
	if got := page(form("page", "2", "size", "5", "order", "1")); !slices.Equal(got, reverse[5:10]) {
		t.Errorf("order 1, page 2: %v, want %v", got, reverse[5:10])
	}
	if got := page(form("page", "9", "size", "10")); len(got) != 0 {
		t.Errorf("a page past the end: %v", got)
	}
	// The deepest page that may be asked, and one past it.
	if got := page(form("page", "100", "size", "100")); len(got) != 0 {
		t.Errorf("page 100 of 100: %v", got)
	}
	c.Expect(t, "/user/profile/query.json", form("page", "101", "size", "100"), 400, 1005)
	c.Expect(t, "/user/profile/query.json", form("page", "10001"), 400, 1005)
	for _, bad := range [][]string{{"size", "101"}, {"size", "0"}, {"count", "101"}, {"page", "0"}, {"order", "2"}, {"page", "x"}} {
		c.Expect(t, "/user/profile/query.json", form(bad...), 400, 1002)
	}
}

func TestProfileAnswersWithoutProfiles(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	if r := c.MustOK(t, "/user/profile/query.json", form()); r.Raw != `{"code":200,"userList":[]}` {
		t.Errorf("empty query: %s", r.Raw)
	}
	if r := c.MustOK(t, "/user/profile/batch/query.json", form("userId", "nobody")); r.Raw != `{"code":200,"userList":[]}` {
		t.Errorf("empty batch query: %s", r.Raw)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("u%03d", i)
	}
	c.Expect(t, "/user/profile/batch/query.json", form("userId", strings.Join(many, ",")), 400, 1005)
	c.Expect(t, "/user/profile/batch/query.json", form("userId", "a b"), 400, 1002)
	if r := c.Post(t, "/user/profile/batch/query.json", form()); r.Status != http.StatusBadRequest || r.Code() != 1002 {
		t.Errorf("batch query without userId: %s", r.Raw)
	}
}
