package profileapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// postJSON posts body as application/json, signed as every call is, as the official SDKs
// send the tag calls.
func postJSON(t *testing.T, c *testenv.APIClient, path, body string) testenv.Response {
	t.Helper()
	return c.Post(t, path, body, "Content-Type", "application/json; charset=utf-8")
}

func jsonOK(t *testing.T, c *testenv.APIClient, path, body string) {
	t.Helper()
	if r := postJSON(t, c, path, body); r.Status != http.StatusOK || r.Code() != 200 {
		t.Fatalf("%s %s: HTTP %d %s", path, body, r.Status, r.Raw)
	}
}

// tagsOf reads the users' tags.
func tagsOf(t *testing.T, c *testenv.APIClient, users ...string) map[string][]string {
	t.Helper()
	f := form()
	for _, u := range users {
		f.Add("userIds", u)
	}
	r := c.MustOK(t, "/user/tags/get.json", f)
	var body struct {
		Result map[string][]string `json:"result"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &body); err != nil {
		t.Fatalf("tags answer: %s", r.Raw)
	}
	return body.Result
}

func expectTags(t *testing.T, c *testenv.APIClient, want map[string][]string) {
	t.Helper()
	var users []string
	for u := range want {
		users = append(users, u)
	}
	if got := tagsOf(t, c, users...); !reflect.DeepEqual(got, want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
}

func TestTagSetReplacesAndGetAnswersEveryUser(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	for _, u := range []string{"alice", "bob"} {
		c.Register(t, u)
	}
	budget(t, s, "a tag set", store.Calls{BatchGetItem: 1, BatchWriteItem: 1}, func() {
		jsonOK(t, c, "/user/tag/set.json", `{"userId":"alice","tags":["bj","male","bj","男","a-b.c_d"]}`)
	})
	budget(t, s, "a tag get", store.Calls{BatchGetItem: 1}, func() {
		expectTags(t, c, map[string][]string{"alice": {"bj", "male", "男", "a-b.c_d"}, "bob": {}, "nobody": {}})
	})
	jsonOK(t, c, "/user/tag/set.json", `{"userId":"alice","tags":["vip"]}`)
	expectTags(t, c, map[string][]string{"alice": {"vip"}})
	jsonOK(t, c, "/user/tag/set.json", `{"userId":"alice","tags":[]}`)
	expectTags(t, c, map[string][]string{"alice": {}})

	// Form bodies too: tags repeated or comma-joined; present and empty clears.
	c.MustOK(t, "/user/tag/set.json", "userId=alice&tags=a,b&tags=c")
	expectTags(t, c, map[string][]string{"alice": {"a", "b", "c"}})
	c.MustOK(t, "/user/tag/batch/set.json", form("userIds", "alice,bob", "tags", "x"))
	expectTags(t, c, map[string][]string{"alice": {"x"}, "bob": {"x"}})
	c.MustOK(t, "/user/tag/set.json", form("userId", "alice", "tags", ""))
	expectTags(t, c, map[string][]string{"alice": {}, "bob": {"x"}})

	// The longest tag, and 20 distinct ones (repeats do not count).
	var twenty []string
	for i := range 20 {
		twenty = append(twenty, fmt.Sprintf("t%02d", i), fmt.Sprintf("t%02d", i))
	}
	jsonOK(t, c, "/user/tag/set.json", fmt.Sprintf(`{"userId":"bob","tags":["%s"]}`, strings.Repeat("é", 20)))
	expectTags(t, c, map[string][]string{"bob": {strings.Repeat("é", 20)}})
	body, _ := json.Marshal(map[string]any{"userId": "bob", "tags": twenty})
	jsonOK(t, c, "/user/tag/set.json", string(body))
	if got := tagsOf(t, c, "bob")["bob"]; len(got) != 20 || got[19] != "t19" {
		t.Fatalf("20 distinct tags: %v", got)
	}
	// Every asked id once, repeats and comma-joined lists included.
	if got := tagsOf(t, c, "bob,alice", "bob"); len(got) != 2 {
		t.Fatalf("get of bob,alice and bob: %v", got)
	}
}

func TestTagBatchSetBudget(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	var users []string
	for i := range 60 {
		users = append(users, fmt.Sprintf("u%02d", i))
		c.Register(t, users[i])
	}
	body, _ := json.Marshal(map[string]any{"userIds": users, "tags": []string{"bj", "vip"}})
	budget(t, s, "a tag batch set of 60 users", store.Calls{BatchGetItem: 1, BatchWriteItem: 3}, func() {
		jsonOK(t, c, "/user/tag/batch/set.json", string(body))
	})
	got := tagsOf(t, c, users[:50]...)
	for _, u := range users[:50] {
		if fmt.Sprint(got[u]) != "[bj vip]" {
			t.Fatalf("%s has %v", u, got[u])
		}
	}
}

// TestTagCallsRefuseBadInput: every documented bad input answers its code and changes nothing.
func TestTagCallsRefuseBadInput(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	for _, u := range []string{"alice", "bob", "gone"} {
		c.Register(t, u)
	}
	c.MustOK(t, "/user/tag/batch/set.json", form("userIds", "alice,bob,gone", "tags", "keep"))
	c.MustOK(t, "/user/deactivate.json", form("userId", "gone"))
	s.Gateway.Wait()
	kept := map[string][]string{"alice": {"keep"}, "bob": {"keep"}}

	var tooMany []string
	for i := range 21 {
		tooMany = append(tooMany, fmt.Sprintf("t%d", i))
	}
	many, _ := json.Marshal(tooMany)
	ids := make([]string, 1001)
	for i := range ids {
		ids[i] = fmt.Sprintf("u%04d", i)
	}
	thousand, _ := json.Marshal(ids)
	for _, tc := range []struct {
		name, path, body string
		status, code     int
	}{
		{"not JSON", "/user/tag/set.json", `{"userId":"alice",`, 400, 1002},
		{"a JSON array", "/user/tag/set.json", `["alice"]`, 400, 1002},
		{"no userId", "/user/tag/set.json", `{"tags":["a"]}`, 400, 1002},
		{"no tags", "/user/tag/set.json", `{"userId":"alice"}`, 400, 1002},
		{"tags null", "/user/tag/set.json", `{"userId":"alice","tags":null}`, 400, 1002},
		{"tags a string", "/user/tag/set.json", `{"userId":"alice","tags":"a"}`, 400, 1002},
		{"a tag not a string", "/user/tag/set.json", `{"userId":"alice","tags":["a",1]}`, 400, 1002},
		{"userId a number", "/user/tag/set.json", `{"userId":7,"tags":["a"]}`, 400, 1002},
		{"userId a list", "/user/tag/set.json", `{"userId":["alice"],"tags":["a"]}`, 400, 1002},
		{"userId malformed", "/user/tag/set.json", `{"userId":"a b","tags":["a"]}`, 400, 1002},
		{"userId empty", "/user/tag/set.json", `{"userId":"","tags":["a"]}`, 400, 1002},
		{"empty tag", "/user/tag/set.json", `{"userId":"alice","tags":[""]}`, 400, 1002},
		{"tag with a space", "/user/tag/set.json", `{"userId":"alice","tags":["b j"]}`, 400, 1002},
		{"tag with a comma", "/user/tag/set.json", `{"userId":"alice","tags":["a,b"]}`, 400, 1002},
		{"tag with a symbol", "/user/tag/set.json", `{"userId":"alice","tags":["a#b"]}`, 400, 1002},
		{"tag with an emoji", "/user/tag/set.json", `{"userId":"alice","tags":["😀"]}`, 400, 1002},
		{"tag of 41 bytes", "/user/tag/set.json", `{"userId":"alice","tags":["` + strings.Repeat("a", 41) + `"]}`, 400, 1005},
		{"21 distinct tags", "/user/tag/set.json", `{"userId":"alice","tags":` + string(many) + `}`, 400, 1005},
		{"unknown user", "/user/tag/set.json", `{"userId":"nobody","tags":["a"]}`, 404, 3001},
		{"deactivated user", "/user/tag/set.json", `{"userId":"gone","tags":["a"]}`, 403, 3002},
		{"batch without userIds", "/user/tag/batch/set.json", `{"userId":"alice","tags":["a"]}`, 400, 1002},
		{"batch with no users", "/user/tag/batch/set.json", `{"userIds":[],"tags":["a"]}`, 400, 1002},
		{"batch userIds a string", "/user/tag/batch/set.json", `{"userIds":"alice","tags":["a"]}`, 400, 1002},
		{"batch of 1001 users", "/user/tag/batch/set.json", `{"userIds":` + string(thousand) + `,"tags":["a"]}`, 400, 1005},
		{"batch with an unknown user", "/user/tag/batch/set.json", `{"userIds":["alice","nobody","bob"],"tags":[]}`, 404, 3001},
		{"batch with a deactivated user", "/user/tag/batch/set.json", `{"userIds":["alice","gone"],"tags":["a"]}`, 403, 3002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postJSON(t, c, tc.path, tc.body)
			if r.Status != tc.status || r.Code() != tc.code || r.Body["errorMessage"] == "" {
				t.Fatalf("HTTP %d %s, want HTTP %d code %d", r.Status, r.Raw, tc.status, tc.code)
			}
		})
	}
	// The same faults in form bodies.
	c.Expect(t, "/user/tag/set.json", form("userId", "alice"), 400, 1002)
	c.Expect(t, "/user/tag/set.json", form("userId", "alice", "tags", "a,,b c"), 400, 1002)
	c.Expect(t, "/user/tag/set.json", form("userId", "alice,bob", "tags", "a"), 400, 1002)
	c.Expect(t, "/user/tag/batch/set.json", form("userIds", "alice,nobody", "tags", "a"), 404, 3001)
	c.Expect(t, "/user/tag/batch/set.json", form("userIds", strings.Join(ids, ","), "tags", "a"), 400, 1005)
	// A JSON body over 512 KiB is refused before anything is read.
	huge := `{"userId":"alice","tags":["` + strings.Repeat("a", 512<<10) + `"]}`
	if r := postJSON(t, c, "/user/tag/set.json", huge); r.Status != http.StatusRequestEntityTooLarge || r.Code() != 1005 {
		t.Fatalf("a body over 512 KiB: HTTP %d %s", r.Status, r.Raw)
	}
	// The signature covers the headers, JSON body or not.
	bad := *c
	bad.App.Secret = "not-the-secret"
	if r := postJSON(t, &bad, "/user/tag/set.json", `{"userId":"alice","tags":["a"]}`); r.Status != http.StatusUnauthorized || r.Code() != 1004 {
		t.Fatalf("a JSON call with a wrong signature: HTTP %d %s", r.Status, r.Raw)
	}
	expectTags(t, c, kept)

	tooManyIDs := form()
	for _, id := range ids[:51] {
		tooManyIDs.Add("userIds", id)
	}
	c.Expect(t, "/user/tags/get.json", tooManyIDs, 400, 1005)
	c.Expect(t, "/user/tags/get.json", form(), 400, 1002)
	c.Expect(t, "/user/tags/get.json", form("userIds", "a b"), 400, 1002)
}
