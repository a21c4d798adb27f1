package wsapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/coder/websocket"

	"imusers/shared/apps"
	"imusers/shared/domain/token"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

var form = testenv.Form

func register(t *testing.T, c *testenv.APIClient, user string) string {
	t.Helper()
	return c.Register(t, user)
}

func online(t *testing.T, c *testenv.APIClient, user string) string {
	t.Helper()
	return fmt.Sprint(c.MustOK(t, "/user/checkOnline.json", form("userId", user)).Body["status"])
}

// eventually polls cond for up to two seconds: $disconnect runs after the socket has closed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 2s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ping(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	testenv.WriteFrame(t, c, map[string]string{"action": "ping"})
	f, err := testenv.ReadFrame(t, c, 5*time.Second)
	if err != nil {
		t.Fatalf("no answer to ping: %v", err)
	}
	return f
}

// expectKicked reads the last frame of a kicked connection, which must come within a second,
// and then the close.
func expectKicked(t *testing.T, c *websocket.Conn, reason string) {
	t.Helper()
	f, err := testenv.ReadFrame(t, c, time.Second)
	if err != nil {
		t.Fatalf("no kicked frame within a second: %v", err)
	}
	if f["type"] != "kicked" || f["reason"] != reason {
		t.Fatalf("last frame = %v, want kicked for %s", f, reason)
	}
	_, err = testenv.ReadFrame(t, c, 2*time.Second)
	if websocket.CloseStatus(err) == -1 {
		t.Fatalf("after the kicked frame the connection must close; got %v", err)
	}
}

func connections(t *testing.T, s *testenv.Stack, user string) []store.Conn {
	t.Helper()
	conns, err := s.Service.Store.Connections(context.Background(), s.Apps[0].Key, user, store.Strong)
	if err != nil {
		t.Fatal(err)
	}
	return conns
}

func TestConnectPingDisconnect(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "alice")
	if online(t, c, "alice") != "0" {
		t.Fatal("a user who never connected is online")
	}

	s.Calls.Reset()
	first := s.MustDial(t, tok)
	if got := s.Calls.Calls(); got.Total() != 2 || got.BatchGetItem != 1 || got.UpdateItem != 1 {
		t.Errorf("connect made %+v; budget one read (the token check) and one write", got)
	}
	s.Calls.Reset()
	if online(t, c, "alice") != "1" {
		t.Fatal("connected user is offline")
	}
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("checkOnline made %d calls, budget 1", n)
	}

	s.Calls.Reset()
	if f := ping(t, first); f["type"] != "pong" {
		t.Fatalf("ping answered %v", f)
	}
	if n := s.Calls.Calls().Total(); n != 0 {
		t.Errorf("a ping right after the connect made %d calls: the connect's last-seen time is fresh", n)
	}
	// A frame naming no route gets API Gateway's answer for a missing route, and the
	// connection stays usable.
	testenv.WriteFrame(t, first, map[string]string{"action": "dance"})
	if f, err := testenv.ReadFrame(t, first, 5*time.Second); err != nil || f["message"] != "Forbidden" || f["connectionId"] == "" {
		t.Fatalf("unknown action answered %v, %v", f, err)
	}
	testenv.WriteFrame(t, first, "not an object")
	if f, _ := testenv.ReadFrame(t, first, 5*time.Second); f["message"] != "Forbidden" {
		t.Fatalf("a frame without action answered %v", f)
	}
	ping(t, first)

	second := s.MustDial(t, tok)
	if n := len(connections(t, s, "alice")); n != 2 {
		t.Fatalf("%d connections recorded, want 2", n)
	}
	first.Close(websocket.StatusNormalClosure, "bye")
	eventually(t, "first connection forgotten", func() bool { return len(connections(t, s, "alice")) == 1 })
	if online(t, c, "alice") != "1" {
		t.Fatal("user with one connection left is offline")
	}
	// A broken socket (no close handshake) ends the connection too.
	second.CloseNow()
	eventually(t, "second connection forgotten", func() bool { return len(connections(t, s, "alice")) == 0 })
	if online(t, c, "alice") != "0" {
		t.Fatal("user is online after closing every connection")
	}
}

func TestRefusedConnectsStoreNothing(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	app := s.Apps[0]
	tokens := map[string]string{}
	for _, u := range []string{"expired", "gone", "banned"} {
		tokens[u] = register(t, c, u)
	}
	time.Sleep(2 * time.Millisecond)
	c.MustOK(t, "/user/token/expire.json", form("userId", "expired", "time", fmt.Sprint(s.Clock.Now().UnixMilli())))
	c.MustOK(t, "/user/deactivate.json", form("userId", "gone"))
	c.MustOK(t, "/user/block.json", form("userId", "banned", "minute", "10"))
	s.Gateway.Wait()

	other := testenv.NewApp(apps.Development)
	// A well-signed token's connect records the connection before it reads the user's state,
	// and a refusal takes the record back; a token that fails its signature costs nothing.
	cases := []struct {
		name, user, token string
		status            int
		signed            bool
	}{
		{"no token", "", "", http.StatusUnauthorized, false},
		{"garbage token", "", "not-a-token", http.StatusUnauthorized, false},
		{"altered token", "expired", strings.Replace(tokens["expired"], ".", ".A", 1), http.StatusUnauthorized, false},
		{"unknown user", "ghost", token.Issue(app.SigningKey(), token.Claims{AppKey: app.Key, UserID: "ghost", IssuedAt: time.Now()}), http.StatusUnauthorized, true},
		{"app not configured", "expired", token.Issue(other.SigningKey(), token.Claims{AppKey: other.Key, UserID: "expired", IssuedAt: time.Now()}), http.StatusUnauthorized, false},
		{"expired token", "expired", tokens["expired"], http.StatusUnauthorized, true},
		{"deactivated user", "gone", tokens["gone"], http.StatusForbidden, true},
		{"blocked user", "banned", tokens["banned"], http.StatusForbidden, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.Calls.Reset()
			conn, status := s.Dial(t, tc.token)
			if conn != nil || status != tc.status {
				t.Fatalf("connect answered HTTP %d, want %d and no connection", status, tc.status)
			}
			got := s.Calls.Calls()
			if !tc.signed && got.Total() != 0 {
				t.Errorf("a connect refused on its signature made %+v; want no call", got)
			}
			if tc.signed && (got.UpdateItem != 1 || got.BatchGetItem != 1 || got.DeleteItem != 1 || got.Total() != 3) {
				t.Errorf("a refused connect made %+v; want its record, the one read and the record taken back", got)
			}
			if tc.user == "" {
				return
			}
			if len(connections(t, s, tc.user)) != 0 {
				t.Error("a refused connect stays recorded")
			}
			left, err := s.Service.Store.ItemsOf(context.Background(), app.Key, tc.user)
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(left, "PRESENCE") {
				t.Errorf("a refused connect left a presence item: %v", left)
			}
		})
	}
}

func TestBlockKicksRefusesAndLiftsByItself(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "alice")
	bobTok := register(t, c, "bob")
	phone, laptop := s.MustDial(t, tok), s.MustDial(t, tok)
	bob := s.MustDial(t, bobTok)

	start := time.Now()
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "5"))
	expectKicked(t, phone, "blocked")
	expectKicked(t, laptop, "blocked")
	if d := time.Since(start); d > time.Second {
		t.Errorf("kicks arrived %s after the block call started; want within a second", d)
	}
	if f := ping(t, bob); f["type"] != "pong" {
		t.Fatal("another user's connection was disturbed")
	}
	eventually(t, "kicked connections forgotten", func() bool { return len(connections(t, s, "alice")) == 0 })
	if online(t, c, "alice") != "0" {
		t.Fatal("blocked user shown online")
	}
	if _, status := s.Dial(t, tok); status != http.StatusForbidden {
		t.Fatalf("connect during the ban answered %d, want 403", status)
	}

	list := c.MustOK(t, "/user/block/query.json", nil)
	users := list.Body["users"].([]any)
	if len(users) != 1 || users[0].(map[string]any)["userId"] != "alice" {
		t.Fatalf("block query = %s", list.Raw)
	}
	end, err := time.Parse(time.DateTime, users[0].(map[string]any)["blockEndTime"].(string))
	if err != nil || end.Sub(s.Clock.Now().UTC().Truncate(time.Second)).Round(time.Minute) != 5*time.Minute {
		t.Fatalf("blockEndTime %v is not five minutes from now (%v)", users[0], err)
	}

	// Nothing runs at the end time: the clock passes it and the ban is simply over.
	s.Clock.Advance(5*time.Minute + time.Second)
	s.MustDial(t, tok).Close(websocket.StatusNormalClosure, "")
	if r := c.MustOK(t, "/user/block/query.json", nil); fmt.Sprint(r.Body["users"]) != "[]" {
		t.Fatalf("a lapsed ban is still listed: %s", r.Raw)
	}

	// Blocking again replaces the end time, shorter or longer.
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "60"))
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "1"))
	s.Clock.Advance(61 * time.Second)
	s.MustDial(t, tok).Close(websocket.StatusNormalClosure, "")
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "1"))
	c.MustOK(t, "/user/block.json", form("userId", "alice", "minute", "60"))
	s.Clock.Advance(61 * time.Second)
	if _, status := s.Dial(t, tok); status != http.StatusForbidden {
		t.Fatalf("a ban lengthened to an hour lifted after a minute (HTTP %d)", status)
	}

	// Unblock lifts at once.
	c.MustOK(t, "/user/unblock.json", form("userId", "alice"))
	s.MustDial(t, tok)
	if r := c.MustOK(t, "/user/block/query.json", nil); fmt.Sprint(r.Body["users"]) != "[]" {
		t.Fatalf("an unblocked user is still listed: %s", r.Raw)
	}
}

func TestBlockBudget(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("u%02d", i)
		ids = append(ids, id)
		tok := register(t, c, id)
		if i%5 == 0 {
			s.MustDial(t, tok)
		}
	}
	s.Calls.Reset()
	c.MustOK(t, "/user/block.json", form("userId", strings.Join(ids, ","), "minute", "30"))
	got := s.Calls.Calls()
	// ⌈20/25⌉ batch writes, between one batched read of the users and one of their connections
	// (after the bans, so a connect racing the block is found): well within the one connection
	// lookup per user the budget allows. A GetItem, when the count catches one, is the webhook
	// delivery function's one read of the app's settings, invoked with the call's events.
	if got.BatchWriteItem != 1 || got.BatchGetItem != 2 || got.Total()-got.GetItem != 3 || got.GetItem > 1 {
		t.Fatalf("blocking 20 users made %+v", got)
	}
	s.Gateway.Wait()
	s.Calls.Reset()
	c.MustOK(t, "/user/unblock.json", form("userId", strings.Join(ids, ",")))
	if got := s.Calls.Calls(); got.BatchWriteItem != 1 || got.Total()-got.GetItem != 2 || got.GetItem > 1 {
		t.Fatalf("unblocking 20 users made %+v", got)
	}
}

func TestExpireRefusesOldTokensButKeepsOpenConnections(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	old := register(t, c, "alice")
	conn := s.MustDial(t, old)
	time.Sleep(2 * time.Millisecond)
	c.MustOK(t, "/user/token/expire.json", form("userId", "alice", "time", fmt.Sprint(s.Clock.Now().UnixMilli())))

	if f := ping(t, conn); f["type"] != "pong" {
		t.Fatal("the open connection stopped working after expire")
	}
	if online(t, c, "alice") != "1" {
		t.Fatal("the open connection stopped counting after expire")
	}
	if _, status := s.Dial(t, old); status != http.StatusUnauthorized {
		t.Fatalf("connect with a token issued before the expire time answered %d, want 401", status)
	}
	// The refused connect took back its own record only.
	if n := len(connections(t, s, "alice")); n != 1 || online(t, c, "alice") != "1" {
		t.Fatalf("after a refused connect the open connection is not recorded (%d recorded)", n)
	}
	time.Sleep(2 * time.Millisecond)
	s.MustDial(t, register(t, c, "alice"))
}

func TestLapsedConnectionsAreOffline(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	app := s.Apps[0].Key
	tok := register(t, c, "alice")
	register(t, c, "bob")

	// A killed client: its connection is recorded, but no $disconnect will ever come.
	if err := s.Service.Store.Connect(context.Background(), app, "bob", "killedClient=", s.Clock.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if online(t, c, "bob") != "1" {
		t.Fatal("recorded connection not counted")
	}
	s.Clock.Advance(store.ConnectionIdle)
	if online(t, c, "bob") != "1" {
		t.Fatal("a recorded last-seen time may be SeenRefresh older than the last frame: the connection still counts")
	}
	s.Clock.Advance(store.SeenRefresh)
	if online(t, c, "bob") != "0" {
		t.Fatal("a connection silent for API Gateway's idle limit and the refresh interval still counts as online")
	}
	if len(connections(t, s, "bob")) != 1 {
		t.Fatal("the lapsed item should still exist: reads, not deletion, make it offline")
	}
	if r := c.MustOK(t, "/user/checkOnline/batch.json", form("userId", "bob")); fmt.Sprint(r.Body["users"]) != "[map[status:0 userId:bob]]" {
		t.Fatalf("batch answer for a lapsed connection = %s", r.Raw)
	}

	// A live connection that pings stays online up to API Gateway's two-hour limit, not beyond.
	conn := s.MustDial(t, tok)
	for elapsed := time.Duration(0); elapsed < 117*time.Minute; elapsed += 9 * time.Minute {
		s.Clock.Advance(9 * time.Minute)
		ping(t, conn)
		if online(t, c, "alice") != "1" {
			t.Fatalf("pinging connection offline after %s", elapsed+9*time.Minute)
		}
	}
	s.Clock.Advance(4 * time.Minute)
	ping(t, conn)
	if online(t, c, "alice") != "0" {
		t.Fatal("a connection older than two hours still counts as online")
	}

	// The next connect of a user clears what lapsed.
	bobTok := register(t, c, "bob")
	s.MustDial(t, bobTok)
	if got := connections(t, s, "bob"); len(got) != 1 || got[0].ID == "killedClient=" {
		t.Fatalf("after a new connect bob's connections are %v", got)
	}
}

func TestDeactivateKicksAndErasesPresence(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	app := s.Apps[0].Key
	tok := register(t, c, "alice")
	banTok := register(t, c, "carol")
	conn := s.MustDial(t, tok)
	s.MustDial(t, banTok)
	// A connection recorded but no longer open (its kick finds it gone) must not fail the call.
	if err := s.Service.Store.Connect(context.Background(), app, "alice", "alreadyGone=", s.Clock.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	c.MustOK(t, "/user/block.json", form("userId", "carol", "minute", "600"))

	c.MustOK(t, "/user/deactivate.json", form("userId", "alice,carol"))
	expectKicked(t, conn, "deactivated")
	if _, status := s.Dial(t, tok); status != http.StatusForbidden {
		t.Fatalf("connect of a deactivated user answered %d, want 403", status)
	}
	s.Gateway.Wait() // the asynchronous erasure
	for user, want := range map[string][]string{
		"alice": {"#PROFILE"},
		// The ban is the App Server's decision, not the user's data: erasure keeps it.
		"carol": {"#BAN", "#PROFILE"},
	} {
		left, err := s.Service.Store.ItemsOf(context.Background(), app, user)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(left)
		if !slices.Equal(left, want) {
			t.Fatalf("after erasure %s keeps %v, want %v (presence erased)", user, left, want)
		}
	}

	c.MustOK(t, "/user/reactivate.json", form("userId", "alice,carol"))
	time.Sleep(2 * time.Millisecond)
	s.MustDial(t, register(t, c, "alice"))
	time.Sleep(2 * time.Millisecond)
	if _, status := s.Dial(t, register(t, c, "carol")); status != http.StatusForbidden {
		t.Fatalf("reactivation lifted a ban: connect answered %d", status)
	}
}

func TestCheckOnlineBatch(t *testing.T) {
	s := testenv.StartStack(t, testenv.NewApp(apps.Production))
	c := s.Client(0)
	var ids []string
	for i := range 100 {
		ids = append(ids, fmt.Sprintf("u%03d", i))
	}
	tokens := map[string]string{}
	for _, id := range []string{"u003", "u050", "u099"} {
		tokens[id] = register(t, c, id)
	}
	s.MustDial(t, tokens["u003"])
	twice := s.MustDial(t, tokens["u050"])
	s.MustDial(t, tokens["u050"])
	closed := s.MustDial(t, tokens["u099"])
	closed.Close(websocket.StatusNormalClosure, "")
	eventually(t, "closed connection forgotten", func() bool { return len(connections(t, s, "u099")) == 0 })
	twice.Close(websocket.StatusNormalClosure, "")
	eventually(t, "one of two connections forgotten", func() bool { return len(connections(t, s, "u050")) == 1 })

	// Users never registered are simply offline, as they are for checkOnline.
	s.Calls.Reset()
	r := c.MustOK(t, "/user/checkOnline/batch.json", "userId="+strings.Join(ids, ","))
	if n := s.Calls.Calls(); n.Total() != 1 || n.BatchGetItem != 1 {
		t.Errorf("batch checkOnline of 100 users made %+v, budget one call", n)
	}
	list := r.Body["users"].([]any)
	if len(list) != 100 {
		t.Fatalf("%d answers for 100 users", len(list))
	}
	for i, e := range list {
		m := e.(map[string]any)
		want := "0"
		if ids[i] == "u003" || ids[i] == "u050" {
			want = "1"
		}
		if m["userId"] != ids[i] || m["status"] != want {
			t.Fatalf("answer %d = %v, want %s with status %s (in the order asked)", i, m, ids[i], want)
		}
	}
	r = c.Post(t, "/user/checkOnline/batch.json", "userId="+strings.Join(append(ids, "u100"), ","))
	if r.Status != http.StatusBadRequest || r.Code() != 1005 {
		t.Fatalf("101 users answered %s", r.Raw)
	}
	if r := c.Post(t, "/user/checkOnline.json", nil); r.Code() != 1002 {
		t.Fatalf("checkOnline without userId answered %s", r.Raw)
	}
}

// heldRead lets the first BatchGetItem after hold() read, then keeps its answer until
// release(): a connect's state check that read the user before a block and answers after it.
type heldRead struct {
	store.DB
	mu      sync.Mutex
	armed   bool
	read    chan struct{}
	release chan struct{}
}

func (h *heldRead) hold() {
	h.mu.Lock()
	h.armed, h.read, h.release = true, make(chan struct{}), make(chan struct{})
	h.mu.Unlock()
}

func (h *heldRead) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	h.mu.Lock()
	held, read, release := h.armed, h.read, h.release
	h.armed = false
	h.mu.Unlock()
	out, err := h.DB.BatchGetItem(ctx, in, optFns...)
	if held {
		close(read)
		<-release
	}
	return out, err
}

// The race a block or deactivation loses without care, made to happen every time: the connect's
// check reads the user just before the call writes the state, and the connection opens only
// after the call has looked its connections up. The connection is recorded before the check,
// so the call finds it; it is not open yet (410 Gone, as in API Gateway), so the kick tries
// again until it opens, and then closes it.
func TestConnectCheckedJustBeforeABlockIsClosedOnceOpen(t *testing.T) {
	for _, tc := range []struct {
		path   string
		form   url.Values
		reason string
	}{
		{"/user/block.json", form("userId", "alice", "minute", "10"), "blocked"},
		{"/user/deactivate.json", form("userId", "alice"), "deactivated"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			db := &heldRead{DB: testenv.Client(t)}
			s := testenv.StartStackWith(t, testenv.Options{DB: db})
			c := s.Client(0)
			tok := register(t, c, "alice")

			db.hold()
			type dialed struct {
				conn *websocket.Conn
				err  error
			}
			done := make(chan dialed, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				conn, _, err := websocket.Dial(ctx, s.WSURL(tok), nil)
				done <- dialed{conn, err}
			}()
			<-db.read
			recorded := connections(t, s, "alice")
			if len(recorded) != 1 {
				t.Fatalf("while its check is out the connect has recorded %v, want its connection", recorded)
			}
			res, err := http.Post(s.URL+"/@connections/"+url.PathEscape(recorded[0].ID), "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusGone {
				t.Fatalf("posting to a connection that is not open yet answered %d, want 410", res.StatusCode)
			}

			// The connect answers 300ms into the call, well within the kick's settling time.
			time.AfterFunc(300*time.Millisecond, func() { close(db.release) })
			c.MustOK(t, tc.path, tc.form)
			d := <-done
			if d.err != nil {
				t.Fatalf("the connect checked before the call was refused: %v", d.err)
			}
			t.Cleanup(func() { d.conn.CloseNow() })
			expectKicked(t, d.conn, tc.reason)
			eventually(t, "the kicked connection forgotten", func() bool { return len(connections(t, s, "alice")) == 0 })
			if online(t, c, "alice") != "0" {
				t.Fatal("the user shows online after the call")
			}
			s.Gateway.Wait()
		})
	}
}

// Deleting a development user closes its connections at once, with the reason, and its tokens
// no longer connect.
func TestDeleteKicks(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "alice")
	conn := s.MustDial(t, tok)
	c.MustOK(t, "/user/delusers.json", form("userId", "alice"))
	expectKicked(t, conn, "deleted")
	if _, status := s.Dial(t, tok); status != http.StatusUnauthorized {
		t.Fatalf("connect with a deleted user's token answered %d, want 401", status)
	}
	if got := online(t, c, "alice"); got != "0" {
		t.Fatalf("a deleted user shows online: %s", got)
	}
}

func TestTokenLifetimeIsJudgedAtConnect(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "alice")
	c.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "1"))

	s.Clock.Advance(24*time.Hour - time.Minute)
	s.Calls.Reset()
	conn := s.MustDial(t, tok)
	if got := s.Calls.Calls(); got.Total() != 2 || got.BatchGetItem != 1 || got.UpdateItem != 1 {
		t.Errorf("connect with a token lifetime set made %+v; budget one read and one write", got)
	}
	// A day after its issue the token is refused, and the refusal keeps nothing; the connection
	// opened before stays open.
	s.Clock.Advance(time.Minute)
	if _, status := s.Dial(t, tok); status != http.StatusUnauthorized {
		t.Fatalf("connect with a token a day old answered %d, want 401", status)
	}
	if n := len(connections(t, s, "alice")); n != 1 {
		t.Fatalf("%d connections recorded after a refused connect, want the one open", n)
	}
	if f := ping(t, conn); f["type"] != "pong" {
		t.Fatalf("the open connection stopped working: %v", f)
	}
	// A token issued now is good; the setting as it is at connect decides, so lengthening it or
	// setting it back to permanent revives the old token, and shortening it ages it again.
	s.MustDial(t, register(t, c, "alice"))
	c.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "7"))
	s.MustDial(t, tok)
	s.Clock.Advance(7 * 24 * time.Hour)
	if _, status := s.Dial(t, tok); status != http.StatusUnauthorized {
		t.Fatalf("connect with a token over 7 days old answered %d, want 401", status)
	}
	c.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "30"))
	s.MustDial(t, tok)
	c.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "0"))
	s.Clock.Advance(365 * 24 * time.Hour)
	s.MustDial(t, tok)
	c.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "30"))
	if _, status := s.Dial(t, tok); status != http.StatusUnauthorized {
		t.Fatalf("connect with a token over 30 days old answered %d, want 401", status)
	}
	// /user/token/expire.json still refuses for good what a longer lifetime would revive.
	fresh := register(t, c, "alice")
	time.Sleep(2 * time.Millisecond)
	c.MustOK(t, "/user/token/expire.json", form("userId", "alice", "time", fmt.Sprint(s.Clock.Now().UnixMilli())))
	c.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "0"))
	if _, status := s.Dial(t, fresh); status != http.StatusUnauthorized {
		t.Fatalf("connect with an expired token answered %d, want 401", status)
	}
}

// The app settings a connect read serve the instance's next connects for
// IM_SETTINGS_MAX_AGE_SECONDS (the settings item is then left out of the connect's one read), so
// a change of the token lifetime reaches connects within that time, and no later.
func TestTokenLifetimeReachesConnectsWithinTheSettingsMaxAge(t *testing.T) {
	const maxAge = time.Minute
	s := testenv.StartStackWith(t, testenv.Options{Configure: func(c *service.Config) { c.SettingsMaxAge = maxAge }})
	c := s.Client(0)
	tok := register(t, c, "alice")
	s.Clock.Advance(48 * time.Hour)
	s.MustDial(t, tok) // reads the settings: tokens do not age
	c.MustOK(t, "/app/setting/set.json", form("tokenTtlDays", "1"))
	s.Clock.Advance(maxAge - time.Second)
	s.MustDial(t, tok) // the settings read less than maxAge before still serve
	s.Clock.Advance(time.Second)
	if _, status := s.Dial(t, tok); status != http.StatusUnauthorized {
		t.Fatalf("connect with a two-day-old token, a day's lifetime set %v before, answered %d, want 401", maxAge, status)
	}
}

// A user with the most connections allowed open is refused one more with 403, which stores
// nothing; a disconnect makes room again.
func TestConnectBeyondTheCapIsRefused(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	app := s.Apps[0].Key
	tok := register(t, c, "bot")
	for i := range store.MaxConnections {
		if err := s.Service.Store.Connect(context.Background(), app, "bot", fmt.Sprint("open", i), s.Clock.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	if _, status := s.Dial(t, tok); status != http.StatusForbidden {
		t.Fatalf("connection %d answered HTTP %d, want 403", store.MaxConnections+1, status)
	}
	if n := len(connections(t, s, "bot")); n != store.MaxConnections {
		t.Fatalf("%d connections recorded after the refusal, want %d", n, store.MaxConnections)
	}
	if err := s.Service.Store.Disconnect(context.Background(), app, "bot", "open0"); err != nil {
		t.Fatal(err)
	}
	s.MustDial(t, tok)
	if n := len(connections(t, s, "bot")); n != store.MaxConnections {
		t.Fatalf("%d connections recorded, want %d", n, store.MaxConnections)
	}
}
