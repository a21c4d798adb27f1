package wsapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// frame builds a blocklist frame of action from field/value pairs.
func frame(action string, kv ...any) map[string]any {
	f := map[string]any{"action": action}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i].(string)] = kv[i+1]
	}
	return f
}

// ask sends a blocklist frame and checks that the answer is its result with code: the action,
// the requestId echoed (when it could be), and an errorMessage exactly when refused.
func ask(t *testing.T, c *websocket.Conn, f map[string]any, code int) map[string]any {
	t.Helper()
	r, _ := testenv.Ask(t, c, f)
	id, _ := f["requestId"].(string)
	if len(id) > 128 {
		id = ""
	}
	msg, _ := r["errorMessage"].(string)
	if r["type"] != "result" || r["action"] != f["action"] || r["requestId"] != id || r["code"] != float64(code) || (msg == "") != (code == 200) {
		t.Fatalf("%v answered %v, want its result with code %d", f, r, code)
	}
	return r
}

// serverList reads owner's blocklist through the Server API.
func serverList(t *testing.T, c *testenv.APIClient, owner string) string {
	t.Helper()
	return fmt.Sprint(c.MustOK(t, "/user/blacklist/query.json", form("userId", owner)).Body["users"])
}

func userIDs(r map[string]any) string { return fmt.Sprint(r["userIds"]) }

func TestBlocklistFramesShareTheServerAPIList(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	alice := s.MustDial(t, c.Register(t, "alice"))
	c.Register(t, "bob")

	// A frame costs what its Server API twin costs, and both change the same list.
	s.Calls.Reset()
	ask(t, alice, frame("addToBlocklist", "userId", "bob", "requestId", "r-1"), 200)
	byFrame := s.Calls.Calls()
	s.Clock.Advance(time.Millisecond)
	s.Calls.Reset()
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "carol")) // not registered: allowed
	if twin := s.Calls.Calls(); byFrame != twin || byFrame.Total() != 5 || byFrame.BatchGetItem != 2 || byFrame.UpdateItem != 2 || byFrame.BatchWriteItem != 1 {
		t.Errorf("addToBlocklist made %+v, its Server API twin %+v; budget 2 batched reads, 2 updates, 1 batch write", byFrame, twin)
	}
	if got := serverList(t, c, "alice"); got != "[carol bob]" {
		t.Fatalf("alice's blocklist = %s", got)
	}
	ask(t, alice, frame("addToBlocklist", "userId", "bob"), 200) // listed already: nothing changes
	if n, _ := s.Service.Store.ListCount(context.Background(), s.Apps[0].Key, "alice", store.Blocklist); n != 2 {
		t.Fatalf("count %d after adding a listed user again", n)
	}

	s.Calls.Reset()
	if r := ask(t, alice, frame("checkBlocked", "userId", "carol", "requestId", "r-3"), 200); r["blocked"] != true {
		t.Fatalf("checkBlocked carol = %v", r)
	}
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Errorf("checkBlocked made %+v, budget one batched read", calls)
	}
	if r := ask(t, alice, frame("checkBlocked", "userId", "dave"), 200); r["blocked"] != false {
		t.Fatalf("checkBlocked dave = %v", r)
	}

	// Pages: newest first, one Query each, next only when more follows; the page tokens are the
	// Server API's, bound to alice's blocklist.
	s.Calls.Reset()
	r := ask(t, alice, frame("getBlocklist", "requestId", "r-4"), 200)
	if userIDs(r) != "[carol bob]" || r["next"] != nil {
		t.Fatalf("getBlocklist = %v", r)
	}
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.Query != 1 {
		t.Errorf("getBlocklist made %+v, budget one Query", calls)
	}
	r = ask(t, alice, frame("getBlocklist", "size", 1), 200)
	next, _ := r["next"].(string)
	if userIDs(r) != "[carol]" || next == "" {
		t.Fatalf("first page of one = %v", r)
	}
	if r = ask(t, alice, frame("getBlocklist", "size", 1, "pageToken", next), 200); userIDs(r) != "[bob]" || r["next"] != nil {
		t.Fatalf("second page = %v", r)
	}
	sr := c.MustOK(t, "/user/blacklist/query.json", form("userId", "alice", "size", "1", "pageToken", next))
	if fmt.Sprint(sr.Body["users"]) != "[bob]" {
		t.Fatalf("the frame's page token on the Server API: %s", sr.Raw)
	}
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "bob", "blackUserId", "x,y"))
	bobs, _ := c.MustOK(t, "/user/blacklist/query.json", form("userId", "bob", "size", "1")).Body["next"].(string)
	for _, tok := range []string{bobs, next[:len(next)-2], "not-a-token", next + "x"} {
		ask(t, alice, frame("getBlocklist", "pageToken", tok, "requestId", "r-5"), 1002)
	}

	ask(t, alice, frame("removeFromBlocklist", "userId", "bob", "requestId", "r-6"), 200)
	ask(t, alice, frame("removeFromBlocklist", "userId", "never-listed"), 200)
	if got := serverList(t, c, "alice"); got != "[carol]" {
		t.Fatalf("after remove: %s", got)
	}

	// Bad frames: the documented code, and nothing changes.
	for _, tc := range []struct {
		f    map[string]any
		code int
	}{
		{frame("addToBlocklist"), 1002},
		{frame("addToBlocklist", "userId", 7, "requestId", "r-7"), 1002},
		{frame("addToBlocklist", "userId", ""), 1002},
		{frame("addToBlocklist", "userId", "bad id"), 1002},
		{frame("addToBlocklist", "userId", "alice", "requestId", "r-8"), 1002},
		{frame("removeFromBlocklist", "userId", "alice"), 1002},
		{frame("removeFromBlocklist", "userId", "carol", "requestId", 9), 1002},
		{frame("checkBlocked", "userId", "alice"), 1002},
		{frame("addToBlocklist", "userId", strings.Repeat("u", 65)), 1005},
		{frame("removeFromBlocklist", "userId", "carol", "requestId", strings.Repeat("r", 129)), 1005},
		{frame("getBlocklist", "size", 0), 1002},
		{frame("getBlocklist", "size", 401), 1002},
		{frame("getBlocklist", "size", "10"), 1002},
		{frame("getBlocklist", "size", 2.5), 1002},
		{frame("getBlocklist", "pageToken", true), 1002},
	} {
		ask(t, alice, tc.f, tc.code)
	}
	if got := serverList(t, c, "alice"); got != "[carol]" {
		t.Fatalf("refused frames changed the list: %s", got)
	}
	testenv.WriteFrame(t, alice, "not an object") // no action: API Gateway's answer
	if f, _ := testenv.ReadFrame(t, alice, 5*time.Second); f["message"] != "Forbidden" {
		t.Fatalf("a frame without action answered %v", f)
	}
	ask(t, alice, frame("checkBlocked", "userId", "carol"), 200) // the connection stays usable
}

// A full page of the longest userIds, with the longest requestId escaped at its worst and the
// next page's token, stays within API Gateway's 32 KB WebSocket frame; and the 3,000-user limit
// holds for frames as for the Server API.
func TestBlocklistFramesFitAFrameAndTheLimit(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	alice := s.MustDial(t, c.Register(t, "alice"))
	// fill lists userIds of 64 digits from..to-1, 100 to a change (a change's marks must fit
	// one DynamoDB expression).
	fill := func(from, to int) {
		t.Helper()
		anyone := func(map[string]*store.Member) error { return nil }
		for start := from; start < to; start += 100 {
			var ids []string
			for i := start; i < min(start+100, to); i++ {
				ids = append(ids, fmt.Sprintf("%064d", i))
			}
			if err := s.Service.Store.AddEntries(context.Background(), s.Apps[0].Key, store.Blocklist, "alice", ids, 3000, s.Clock.Now().UnixMilli(), anyone); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill(0, 401)
	worst := strings.Repeat("<", 128) // six bytes each in JSON
	r, size := testenv.Ask(t, alice, frame("getBlocklist", "requestId", worst))
	ids, _ := r["userIds"].([]any)
	next, _ := r["next"].(string)
	if r["code"] != float64(200) || len(ids) != 400 || next == "" || r["requestId"] != worst {
		t.Fatalf("a full page: code %v, %d ids, next %q", r["code"], len(ids), next)
	}
	t.Logf("a full page with the worst requestId: %d bytes", size)
	if size > 32_000 {
		t.Fatalf("a full page is %d bytes, over API Gateway's 32 KB frame", size)
	}
	if r = ask(t, alice, frame("getBlocklist", "pageToken", next), 200); len(r["userIds"].([]any)) != 1 || r["next"] != nil {
		t.Fatalf("last page = %v", r)
	}

	fill(401, 3000)
	ask(t, alice, frame("addToBlocklist", "userId", "one-too-many", "requestId", "r-1"), 3005)
	if n, _ := s.Service.Store.ListCount(context.Background(), s.Apps[0].Key, "alice", store.Blocklist); n != 3000 {
		t.Fatalf("count %d after a refused add", n)
	}
	ask(t, alice, frame("checkBlocked", "userId", "one-too-many"), 200)
	ask(t, alice, frame("addToBlocklist", "userId", fmt.Sprintf("%064d", 7)), 200) // listed: passes
}

// A frame that races its user's ban, deactivation or deletion (before the kick closes the
// connection) is refused with 3003 or 3009 and changes nothing. The state is written here
// without the kick, so the connection stays open for the frames.
func TestBlocklistFramesOfAUserBannedOrGone(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	ctx := context.Background()
	app := s.Apps[0].Key
	conns := map[string]*websocket.Conn{}
	for _, u := range []string{"amy", "ben", "cal"} {
		conns[u] = s.MustDial(t, c.Register(t, u))
		c.MustOK(t, "/user/blacklist/add.json", form("userId", u, "blackUserId", "zed"))
	}
	if err := s.Service.Store.PutBans(ctx, app, []string{"amy"}, s.Clock.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := s.Service.Store.Deactivate(ctx, app, "ben", s.Clock.Now().UnixMilli(), "op-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Service.Store.DeleteUsers(ctx, app, []string{"cal"}); err != nil {
		t.Fatal(err)
	}
	for user, code := range map[string]int{"amy": 3003, "ben": 3009, "cal": 3009} {
		conn := conns[user]
		ask(t, conn, frame("addToBlocklist", "userId", "yan", "requestId", "r-1"), code)
		ask(t, conn, frame("removeFromBlocklist", "userId", "zed"), code)
		ask(t, conn, frame("checkBlocked", "userId", "zed"), code)
		if n, _ := s.Service.Store.ListCount(ctx, app, user, store.Blocklist); n != 1 {
			t.Errorf("%s's count is %d after refused frames", user, n)
		}
	}
	// A page is one Query of the list alone: the banned user's list as it is.
	if r := ask(t, conns["amy"], frame("getBlocklist"), 200); userIDs(r) != "[zed]" {
		t.Fatalf("banned user's page = %v", r)
	}
	// The ban lifted, the same connection's frames work again.
	s.Clock.Advance(time.Hour)
	ask(t, conns["amy"], frame("removeFromBlocklist", "userId", "zed"), 200)
}
