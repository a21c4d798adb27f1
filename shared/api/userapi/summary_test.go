package userapi_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/testenv"
)

// summary reads /user/summary.json and checks it cost one DynamoDB call.
func summary(t *testing.T, s *testenv.Stack, c *testenv.APIClient, user string) map[string]any {
	t.Helper()
	s.Calls.Reset()
	r := c.MustOK(t, "/user/summary.json", form("userId", user))
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Errorf("summary of %s made %+v DynamoDB calls, budget 1 BatchGetItem", user, calls)
	}
	return r.Body
}

// want checks the summary's fields named in w (JSON numbers as float64).
func want(t *testing.T, got map[string]any, w map[string]any) {
	t.Helper()
	for k, v := range w {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v (in %v)", k, got[k], v, got)
		}
	}
}

func TestSummaryOfANewUser(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	register(t, c, "alice", "Alice")
	got := summary(t, s, c, "alice")
	want(t, got, map[string]any{
		"code": 200.0, "userId": "alice", "deactivated": false, "userName": "Alice", "userPortrait": "https://img/alice",
		"online": false, "blockEndTime": "", "muted": false, "whitelistMode": false,
		"blacklistSize": 0.0, "whitelistSize": 0.0, "friendCount": 0.0, "tags": []any{}, "hasProfile": false,
	})
	info := c.MustOK(t, "/user/info.json", form("userId", "alice"))
	if got["createTime"] != info.Body["createTime"] || got["createTime"] == "" {
		t.Errorf("createTime %v, info says %v", got["createTime"], info.Body["createTime"])
	}
}

func TestSummaryShowsWhatTheUserItemsHold(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "alice", "Alice")
	for _, u := range []string{"bob", "carol", "dave"} {
		register(t, c, u, u)
	}
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "bob,carol"))
	c.MustOK(t, "/user/whitelist/add.json", form("userId", "alice", "whiteUserId", "dave"))
	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "alice", "whiteSetting", "1"))
	c.MustOK(t, "/friend/add.json", form("userId", "alice", "targetId", "bob", "optType", "2"))
	c.MustOK(t, "/friend/add.json", form("userId", "alice", "targetId", "carol", "optType", "2"))
	c.MustOK(t, "/friend/add.json", form("userId", "dave", "targetId", "alice", "optType", "2"))
	c.MustOK(t, "/user/chat/fb/set.json", form("userId", "alice", "state", "1", "type", "PERSON"))
	c.MustOK(t, "/user/tag/batch/set.json", form("userIds", "alice", "tags", "vip,bj"))
	c.MustOK(t, "/user/profile/set.json", form("userId", "alice", "userProfile", `{"name":"Nick"}`))
	s.MustDial(t, tok) // closed by the ban below

	want(t, summary(t, s, c, "alice"), map[string]any{
		"online": true, "muted": true, "whitelistMode": true, "blockEndTime": "",
		"blacklistSize": 2.0, "whitelistSize": 1.0, "friendCount": 3.0, "tags": []any{"vip", "bj"}, "hasProfile": true,
	})
	// The other side of a friendship counts its friend too, and a list of nobody is empty.
	want(t, summary(t, s, c, "bob"), map[string]any{"friendCount": 1.0, "blacklistSize": 0.0, "muted": false, "online": false})

	// A ban shows its end as the ban list does, and closes the connection; a lapsed one is gone.
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "30"))
	banned := c.MustOK(t, "/user/block/query.json", form())
	end := banned.Body["users"].([]any)[0].(map[string]any)["blockEndTime"]
	want(t, summary(t, s, c, "alice"), map[string]any{"blockEndTime": end})
	s.Clock.Advance(31 * time.Minute)
	want(t, summary(t, s, c, "alice"), map[string]any{"blockEndTime": ""})

	// Undone changes show undone.
	c.MustOK(t, "/user/chat/fb/set.json", form("userId", "alice", "state", "0", "type", "PERSON"))
	c.MustOK(t, "/user/blacklist/remove.json", form("userId", "alice", "blackUserId", "bob"))
	c.MustOK(t, "/user/profile/clean.json", form("userId", "alice"))
	c.MustOK(t, "/user/tag/batch/set.json", form("userIds", "alice", "tags", ""))
	want(t, summary(t, s, c, "alice"), map[string]any{"muted": false, "blacklistSize": 1.0, "hasProfile": false, "tags": []any{}})
}

func TestSummaryOfADeactivatedUser(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	register(t, c, "alice", "Alice")
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "30"))
	c.MustOK(t, "/user/chat/fb/set.json", form("userId", "alice", "state", "1", "type", "PERSON"))
	register(t, c, "bob", "Bob")
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "bob"))
	c.MustOK(t, "/user/tag/batch/set.json", form("userIds", "alice", "tags", "vip"))
	c.MustOK(t, "/user/deactivate.json", form("userId", "alice"))
	s.Gateway.Wait() // the asynchronous erasure

	got := summary(t, s, c, "alice")
	want(t, got, map[string]any{"code": 200.0, "userId": "alice", "deactivated": true,
		"userName": "", "userPortrait": "", "createTime": "", "muted": true, "online": false,
		"blacklistSize": 0.0, "tags": []any{}})
	if end, _ := got["blockEndTime"].(string); end == "" {
		t.Errorf("erasure keeps a ban, and the summary shows it: %v", got)
	}
	c.MustOK(t, "/user/reactivate.json", form("userId", "alice"))
	want(t, summary(t, s, c, "alice"), map[string]any{"deactivated": false, "muted": true})
}

func TestSummaryRefusesBadInputAndUnknownUsers(t *testing.T) {
	a, b := testenv.NewApp(apps.Production), testenv.NewApp(apps.Production)
	s := testenv.StartStack(t, a, b)
	c := s.Client(0)
	register(t, s.Client(1), "bob", "Bob") // another app's user

	for _, tc := range []struct {
		name         string
		form         any
		status, code int
	}{
		{"unknown user", form("userId", "nobody"), http.StatusNotFound, 3001},
		{"another app's user", form("userId", "bob"), http.StatusNotFound, 3001},
		{"no userId", form(), http.StatusBadRequest, 1002},
		{"empty userId", form("userId", ""), http.StatusBadRequest, 1002},
		{"malformed userId", form("userId", "bob smith"), http.StatusBadRequest, 1002},
		{"userId too long", form("userId", strings.Repeat("a", 65)), http.StatusBadRequest, 1005},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := expectCode(t, c, "/user/summary.json", tc.form, tc.status, tc.code)
			if tc.code == 3001 && !strings.Contains(r.Body["errorMessage"].(string), "does not exist") {
				t.Errorf("message %q", r.Body["errorMessage"])
			}
		})
	}
	// The other app sees its own user.
	want(t, summary(t, s, s.Client(1), "bob"), map[string]any{"userId": "bob", "userName": "Bob"})
}
