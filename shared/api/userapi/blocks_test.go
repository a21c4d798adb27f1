package userapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"imusers/shared/store"
	"imusers/shared/testenv"
)

func blocked(t *testing.T, c *testenv.APIClient, f any) []string {
	t.Helper()
	r := c.MustOK(t, "/user/block/query.json", f)
	var out []string
	for _, u := range r.Body["users"].([]any) {
		m := u.(map[string]any)
		if _, err := time.Parse(time.DateTime, m["blockEndTime"].(string)); err != nil {
			t.Fatalf("blockEndTime: %v in %s", err, r.Raw)
		}
		out = append(out, m["userId"].(string))
	}
	return out
}

func TestBlockParameters(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	register(t, c, "alice", "Alice")
	many := make([]string, 21)
	for i := range many {
		many[i] = fmt.Sprint("u", i)
	}
	for _, tc := range []struct {
		body         any
		status, code int
	}{
		{form("userId", "alice"), 400, 1002},
		{form("userId", "alice", "minute", "0"), 400, 1002},
		{form("userId", "alice", "minute", "43201"), 400, 1002},
		{form("userId", "alice", "minute", "ten"), 400, 1002},
		{form("minute", "10"), 400, 1002},
		{form("userId", strings.Join(many, ","), "minute", "10"), 400, 1005},
		{form("userId", "alice,ghost", "minute", "10"), http.StatusNotFound, 3001},
	} {
		expectCode(t, c, "/user/block.json", tc.body, tc.status, tc.code)
	}
	if got := blocked(t, c, nil); len(got) != 0 {
		t.Fatalf("refused block calls banned %v", got)
	}
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "43200"))
	expectCode(t, c, "/user/unblock.json", form("userId", "alice,ghost"), http.StatusNotFound, 3001)
	if got := blocked(t, c, nil); fmt.Sprint(got) != "[alice]" {
		t.Fatalf("a refused unblock changed the bans: %v", got)
	}
	expectCode(t, c, "/user/unblock.json", form("userId", strings.Join(many, ",")), 400, 1005)
	expectCode(t, c, "/user/unblock.json", nil, 400, 1002)
	c.MustOK(t, "/user/unblock.json", form("userId", "alice"))
	c.MustOK(t, "/user/unblock.json", form("userId", "alice")) // unblocking twice is fine
	expectCode(t, c, "/user/block/query.json", form("size", "1001"), 400, 1002)
	expectCode(t, c, "/user/block/query.json", form("page", "0"), 400, 1002)
}

func TestBlockQueryPagesLiveBansByEndTime(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	var ids []string
	var u0From, u0To time.Time // when u0's block was asked for, and answered
	for i := range 7 {
		id := fmt.Sprintf("u%d", i)
		ids = append(ids, id)
		register(t, c, id, id)
		// u0 ends soonest; the shards they fall into do not matter to the order.
		from := s.Clock.Now()
		c.MustOK(t, "/user/block.json", form("userId", id, "minute", fmt.Sprint(10*(i+1))))
		if i == 0 {
			u0From, u0To = from, s.Clock.Now()
		}
	}
	register(t, c, "free", "never blocked")

	s.Calls.Reset()
	if got := blocked(t, c, nil); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("no parameters = %v, want all live bans by end time %v", got, ids)
	}
	if n := s.Calls.Calls(); n.Total() != n.Query || n.Query > store.IndexShards {
		t.Errorf("block query made %+v; want one Query per index shard at most", n)
	}
	if got := blocked(t, c, form("page", "1", "size", "3")); fmt.Sprint(got) != "[u0 u1 u2]" {
		t.Fatalf("page 1 = %v", got)
	}
	if got := blocked(t, c, form("page", "3", "size", "3")); fmt.Sprint(got) != "[u6]" {
		t.Fatalf("page 3 = %v", got)
	}
	if got := blocked(t, c, form("page", "4", "size", "3")); len(got) != 0 {
		t.Fatalf("page past the end = %v", got)
	}
	if got := blocked(t, c, form("page", "2")); len(got) != 0 {
		t.Fatalf("page 2 of size 50 = %v", got)
	}
	r := c.MustOK(t, "/user/block/query.json", form("size", "1"))
	end := r.Body["users"].([]any)[0].(map[string]any)["blockEndTime"].(string)
	// The answer is in whole seconds (UTC): 10 minutes after the block, which was made while
	// the call to make it ran.
	earliest := u0From.Add(10 * time.Minute).UTC().Truncate(time.Second)
	latest := u0To.Add(10 * time.Minute).UTC()
	if got, err := time.Parse(time.DateTime, end); err != nil || got.Before(earliest) || got.After(latest) {
		t.Fatalf("blockEndTime %s, want between %s and %s (UTC)", end, earliest.Format(time.DateTime), latest.Format(time.DateTime))
	}

	// Lapsed bans drop out of the list at their end, with no call and before any deletion.
	s.Clock.Advance(35 * time.Minute)
	if got := blocked(t, c, nil); fmt.Sprint(got) != "[u3 u4 u5 u6]" {
		t.Fatalf("after 35 minutes = %v", got)
	}
	c.MustOK(t, "/user/unblock.json", form("userId", "u4,u0"))
	if got := blocked(t, c, nil); fmt.Sprint(got) != "[u3 u5 u6]" {
		t.Fatalf("after unblock = %v", got)
	}
}
