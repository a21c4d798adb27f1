package userapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

const (
	muteSet  = "/user/chat/fb/set.json"
	muteList = "/user/chat/fb/querylist.json"
)

// muted reads the list of muted users, checking that its total is what a whole read gives.
func muted(t *testing.T, c *testenv.APIClient, f any) (int, string) {
	t.Helper()
	r := c.MustOK(t, muteList, f)
	total, ok := r.Body["total"].(float64)
	list, isList := r.Body["users"].([]any)
	if !ok || !isList {
		t.Fatalf("%s answered %s", muteList, r.Raw)
	}
	return int(total), fmt.Sprint(list)
}

func TestChatMuteSetAndList(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	for _, u := range []string{"dan", "Zed", "amy", "ben", "cat"} {
		register(t, c, u, u)
	}
	c.MustOK(t, "/user/deactivate.json", form("userId", "dan"))
	s.Gateway.Wait()
	person := func(kv ...string) any { return form(append(kv, "type", "PERSON")...) }

	if total, list := muted(t, c, person()); total != 0 || list != "[]" {
		t.Fatalf("nobody muted: %d %s", total, list)
	}
	// Both list encodings, a deactivated user among them; the Java SDK's body starts with '&'.
	s.Calls.Reset()
	c.MustOK(t, muteSet, person("userId", "cat,dan", "state", "1"))
	if calls := s.Calls.Calls(); calls.Total() != 2 || calls.BatchGetItem != 1 || calls.BatchWriteItem != 1 {
		t.Errorf("mute of 2 made %+v, budget one batched read and one batch write", calls)
	}
	c.MustOK(t, muteSet, "&userId=amy&userId=Zed&state=1&type=PERSON")
	c.MustOK(t, muteSet, person("userId", "amy", "state", "1")) // muted again: nothing changes

	// Sorted by userId in byte order, paged by offset; total counts all.
	s.Calls.Reset()
	if total, list := muted(t, c, person()); total != 4 || list != "[Zed amy cat dan]" {
		t.Fatalf("muted = %d %s", total, list)
	}
	if calls := s.Calls.Calls(); calls.Total() != store.IndexShards || calls.Query != store.IndexShards {
		t.Errorf("list made %+v, budget one Query per index shard (%d)", calls, store.IndexShards)
	}
	for _, tc := range []struct{ num, offset, want string }{
		{"1", "0", "[Zed]"}, {"2", "1", "[amy cat]"}, {"3", "3", "[dan]"}, {"200", "4", "[]"},
		{"1", "1000000", "[]"}, {"0", "1", "[amy cat dan]"}, {"", "", "[Zed amy cat dan]"},
	} {
		if total, list := muted(t, c, person("num", tc.num, "offset", tc.offset)); total != 4 || list != tc.want {
			t.Errorf("num %q offset %q: %d %s, want 4 %s", tc.num, tc.offset, total, list, tc.want)
		}
	}

	c.MustOK(t, muteSet, person("userId", "amy,ben", "state", "0")) // ben was not muted: no error
	if total, list := muted(t, c, person()); total != 3 || list != "[Zed cat dan]" {
		t.Fatalf("after unmute = %d %s", total, list)
	}

	// Bad input: the documented code, and nothing changes.
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	for _, tc := range []struct {
		path         string
		body         any
		status, code int
	}{
		{muteSet, form("userId", "ben", "state", "1", "type", "person"), 400, 1002},
		{muteSet, form("userId", "ben", "state", "1", "type", "GROUP"), 400, 1002},
		{muteSet, form("userId", "ben", "state", "1", "type", "PERSON "), 400, 1002},
		{muteSet, form("userId", "ben", "state", "1", "type", strings.Repeat("P", 5000)), 400, 1002},
		{muteSet, form("userId", "ben", "state", "1"), 400, 1002},
		{muteSet, "userId=ben&state=1&type=PERSON&type=PERSON", 400, 1002},
		{muteSet, person("userId", "ben", "state", "2"), 400, 1002},
		{muteSet, person("userId", "ben", "state", ""), 400, 1002},
		{muteSet, person("userId", "ben"), 400, 1002},
		{muteSet, person("state", "1"), 400, 1002},
		{muteSet, person("userId", "bad id", "state", "1"), 400, 1002},
		{muteSet, person("userId", strings.Join(many, ","), "state", "1"), 400, 1005},
		{muteSet, person("userId", "ben,ghost", "state", "1"), http.StatusNotFound, 3001},
		{muteSet, person("userId", "cat,ghost", "state", "0"), http.StatusNotFound, 3001},
		{muteList, form(), 400, 1002},
		{muteList, form("type", "GROUP"), 400, 1002},
		{muteList, person("num", "201"), 400, 1002},
		{muteList, person("num", "-1"), 400, 1002},
		{muteList, person("num", "ten"), 400, 1002},
		{muteList, person("offset", "-1"), 400, 1002},
		{muteList, person("offset", "99999999999"), 400, 1002},
	} {
		expectCode(t, c, tc.path, tc.body, tc.status, tc.code)
	}
	if total, list := muted(t, c, person()); total != 3 || list != "[Zed cat dan]" {
		t.Fatalf("refused calls changed the mutes: %d %s", total, list)
	}
}

// Muting up to 1,000 users costs one batched read per 100 and one batch write per 25; an
// unknown user found in the last read stops the call before any write.
func TestChatMuteBudget(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("m%04d", i)
		if _, err := s.Service.Store.Register(context.Background(), s.Apps[0].Key, ids[i], "n", "", 1, false); err != nil {
			t.Fatal(err)
		}
	}
	all := strings.Join(ids, ",")
	s.Calls.Reset()
	expectCode(t, c, muteSet, form("userId", all[:len(all)-1]+"x", "state", "1", "type", "PERSON"), http.StatusNotFound, 3001)
	if calls := s.Calls.Calls(); calls.Total() != 10 || calls.BatchGetItem != 10 {
		t.Errorf("refused mute of 1000 made %+v, want 10 batched reads and no write", calls)
	}
	s.Calls.Reset()
	c.MustOK(t, muteSet, form("userId", all, "state", "1", "type", "PERSON"))
	if calls := s.Calls.Calls(); calls.BatchGetItem != 10 || calls.BatchWriteItem != 40 || calls.Total() != 50 {
		t.Errorf("mute of 1000 made %+v, budget 10 batched reads and 40 batch writes", calls)
	}
	s.Calls.Reset()
	r := c.MustOK(t, muteList, form("type", "PERSON", "num", "200", "offset", "900"))
	if calls := s.Calls.Calls(); calls.Query != store.IndexShards || calls.Total() != store.IndexShards {
		t.Errorf("list of 1000 made %+v, budget one Query per shard and per 1000 muted users in it", calls)
	}
	list, _ := r.Body["users"].([]any)
	if r.Body["total"] != float64(1000) || len(list) != 100 || list[0] != "m0900" || list[99] != "m0999" {
		t.Fatalf("last page = total %v, %d users from %v", r.Body["total"], len(list), list[:min(1, len(list))])
	}
}

// A mute is the App Server's decision, like a ban: deactivation's erasure keeps it (a
// reactivated user is still muted), and deleting a development user removes it.
func TestChatMuteOutlivesErasureNotDeletion(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	register(t, c, "alice", "Alice")
	register(t, c, "bob", "Bob")
	c.MustOK(t, muteSet, form("userId", "alice,bob", "state", "1", "type", "PERSON"))

	c.MustOK(t, "/user/deactivate.json", form("userId", "alice"))
	s.Gateway.Wait() // the asynchronous erasure
	c.MustOK(t, "/user/reactivate.json", form("userId", "alice"))
	if total, list := muted(t, c, form("type", "PERSON")); total != 2 || list != "[alice bob]" {
		t.Fatalf("after deactivation and reactivation: %d %s", total, list)
	}

	c.MustOK(t, "/user/delusers.json", form("userId", "bob"))
	if total, list := muted(t, c, form("type", "PERSON")); total != 1 || list != "[alice]" {
		t.Fatalf("after deleting bob: %d %s", total, list)
	}
	register(t, c, "bob", "Bob again")
	if total, _ := muted(t, c, form("type", "PERSON")); total != 1 {
		t.Fatal("a userId registered again after its delete came back muted")
	}
}
