package wsapi_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"imusers/shared/adapter/wsapi"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// quiet is how long a test waits to be sure a frame is not coming: the recipient's frame is
// posted before the sender's ack returns, so anything coming would already be there.
const quiet = 300 * time.Millisecond

// connect registers each user and opens one connection for each.
func connect(t *testing.T, s *testenv.Stack, users ...string) map[string]*testenv.Inbox {
	t.Helper()
	c := s.Client(0)
	out := map[string]*testenv.Inbox{}
	for _, u := range users {
		out[u] = testenv.NewInbox(s.MustDial(t, register(t, c, u)))
	}
	return out
}

var msgSeq int

// send sends a text message from in's user to to and returns the ack, checking that it is an
// ack for this frame.
func send(t *testing.T, in *testenv.Inbox, to, text string) map[string]any {
	t.Helper()
	msgSeq++
	id := fmt.Sprint("c-", msgSeq)
	in.Send(t, map[string]string{"action": "sendMessage", "toUserId": to, "objectName": "RC:TxtMsg",
		"content": `{"content":"` + text + `"}`, "clientMsgId": id})
	ack := in.Next(t, 5*time.Second)
	if ack["type"] != "ack" || ack["clientMsgId"] != id {
		t.Fatalf("answer to %s's frame = %v, want its ack", to, ack)
	}
	return ack
}

// code is an ack's code.
func code(ack map[string]any) int {
	f, _ := ack["code"].(float64)
	return int(f)
}

// expectAck sends and checks the ack's code: a msgId exactly when accepted, a reason otherwise.
func expectAck(t *testing.T, in *testenv.Inbox, to, text string, want int) map[string]any {
	t.Helper()
	ack := send(t, in, to, text)
	id, _ := ack["msgId"].(string)
	reason, _ := ack["errorMessage"].(string)
	if code(ack) != want || (id != "") != (want == 200) || (reason != "") == (want == 200) {
		t.Fatalf("send to %s: ack %v, want code %d", to, ack, want)
	}
	return ack
}

// expectMessage reads the recipient's next frame, which must be the message of ack.
func expectMessage(t *testing.T, in *testenv.Inbox, ack map[string]any, from, text string) map[string]any {
	t.Helper()
	f := in.Next(t, 2*time.Second)
	if f["type"] != "message" || f["msgId"] != ack["msgId"] || f["fromUserId"] != from ||
		f["objectName"] != "RC:TxtMsg" || f["content"] != `{"content":"`+text+`"}` {
		t.Fatalf("recipient got %v, want %s's message %q with msgId %v", f, from, text, ack["msgId"])
	}
	return f
}

func TestSendMessageBlocklist(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := connect(t, s, "alice", "bob")
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "alice", "blackUserId", "bob"))

	s.Calls.Reset()
	expectAck(t, u["bob"], "alice", "let me in", 405)
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Errorf("a refused message made %+v, budget one BatchGetItem", calls)
	}
	u["alice"].Quiet(t, quiet)

	// One way only: alice still reaches bob, who gets the frame as sent.
	before := s.Clock.Now().UnixMilli()
	s.Calls.Reset()
	ack := expectAck(t, u["alice"], "bob", "hi bob", 200)
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Errorf("a delivered message made %+v, budget one BatchGetItem", calls)
	}
	f := expectMessage(t, u["bob"], ack, "alice", "hi bob")
	if sent, _ := f["sentTime"].(float64); int64(sent) < before || int64(sent) > s.Clock.Now().UnixMilli() {
		t.Errorf("sentTime %v is not the time of sending", f["sentTime"])
	}
	u["alice"].Quiet(t, quiet) // no copy to the sender

	// Taken off the list, bob reaches alice again.
	c.MustOK(t, "/user/blacklist/remove.json", form("userId", "alice", "blackUserId", "bob"))
	expectMessage(t, u["alice"], expectAck(t, u["bob"], "alice", "thanks", 200), "bob", "thanks")
}

func TestSendMessageWhitelist(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := connect(t, s, "carol", "dave", "erin")
	c.MustOK(t, "/user/whitelist/add.json", form("userId", "carol", "whiteUserId", "dave"))
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "carol", "blackUserId", "dave"))
	// Before the mode is on, the whitelist is not consulted and the blocklist is.
	expectAck(t, u["dave"], "carol", "hello", 405)
	expectMessage(t, u["carol"], expectAck(t, u["erin"], "carol", "hello", 200), "erin", "hello")

	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "carol", "whiteSetting", "1"))
	expectMessage(t, u["carol"], expectAck(t, u["dave"], "carol", "listed", 200), "dave", "listed")
	expectAck(t, u["erin"], "carol", "not listed", 405)
	u["carol"].Quiet(t, quiet)

	c.MustOK(t, "/user/whitesetting/set.json", form("userId", "carol", "whiteSetting", "0"))
	expectMessage(t, u["carol"], expectAck(t, u["erin"], "carol", "mode off", 200), "erin", "mode off")
}

func TestSendMessageFriendsOnly(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := connect(t, s, "amy", "ben", "cid")
	c.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "1"))

	expectAck(t, u["amy"], "ben", "stranger", 3008)
	u["ben"].Quiet(t, quiet)

	c.MustOK(t, "/friend/add.json", form("userId", "amy", "targetId", "ben", "optType", "2"))
	expectMessage(t, u["ben"], expectAck(t, u["amy"], "ben", "friend", 200), "amy", "friend")
	expectMessage(t, u["amy"], expectAck(t, u["ben"], "amy", "friend too", 200), "ben", "friend too")
	expectAck(t, u["cid"], "amy", "stranger", 3008)

	// The blocklist wins over friendship.
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "ben", "blackUserId", "amy"))
	expectAck(t, u["amy"], "ben", "blocked friend", 405)
	u["ben"].Quiet(t, quiet)

	c.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "0"))
	expectMessage(t, u["amy"], expectAck(t, u["cid"], "amy", "setting off", 200), "cid", "setting off")
	u["amy"].Quiet(t, quiet)
}

func TestSendMessageReachesEveryConnection(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := connect(t, s, "alice")
	tok := register(t, c, "bob")
	phone, laptop := testenv.NewInbox(s.MustDial(t, tok)), testenv.NewInbox(s.MustDial(t, tok))

	ack := expectAck(t, u["alice"], "bob", "both", 200)
	expectMessage(t, phone, ack, "alice", "both")
	expectMessage(t, laptop, ack, "alice", "both")

	// A connection recorded but gone (its $disconnect never ran) is skipped and forgotten with
	// one write; the live ones still get the message.
	ctx := context.Background()
	app := s.Apps[0].Key
	if err := s.Service.Store.Connect(ctx, app, "bob", "Z29uZS1jb25uLTE=", s.Clock.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	s.Calls.Reset()
	ack = expectAck(t, u["alice"], "bob", "again", 200)
	if calls := s.Calls.Calls(); calls.BatchGetItem != 1 || calls.UpdateItem != 1 || calls.Total() != 2 {
		t.Errorf("a message with a gone connection made %+v, want one BatchGetItem and one UpdateItem", calls)
	}
	expectMessage(t, phone, ack, "alice", "again")
	expectMessage(t, laptop, ack, "alice", "again")
	if n := len(connections(t, s, "bob")); n != 2 {
		t.Errorf("%d connections recorded after the gone one was found, want 2", n)
	}
	s.Calls.Reset()
	expectAck(t, u["alice"], "bob", "clean", 200)
	if n := s.Calls.Calls().Total(); n != 1 {
		t.Errorf("after the clean-up a message made %d calls, want 1", n)
	}

	// A connection past the idle limit is not tried at all.
	for _, in := range []*testenv.Inbox{phone, laptop} {
		if f := in.Next(t, 2*time.Second); f["content"] != `{"content":"clean"}` {
			t.Fatalf("got %v, want the message sent after the clean-up", f)
		}
	}
	s.Clock.Advance(store.ConnectionIdle + store.SeenRefresh + time.Second)
	s.Calls.Reset()
	expectAck(t, u["alice"], "bob", "lapsed", 200)
	// The one read, and the write of the sender's own last-seen time, its first since the connect.
	if got := s.Calls.Calls(); got.Total() != 2 || got.UpdateItem != 1 {
		t.Errorf("a message to lapsed connections made %+v, want the read and the sender's last-seen write", got)
	}
	phone.Quiet(t, quiet)
	laptop.Quiet(t, quiet)
}

func TestSendMessageRecipientStates(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := connect(t, s, "alice", "dora")
	register(t, c, "otto") // never connects

	expectAck(t, u["alice"], "ghost", "anyone?", 3001)

	// An offline recipient: accepted, nothing stored, nothing posted.
	s.Calls.Reset()
	expectAck(t, u["alice"], "otto", "you there?", 200)
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Errorf("a message to an offline user made %+v, want only the one read", calls)
	}

	// To oneself: the message reaches the sending connection too, ahead of the ack.
	u["alice"].Send(t, map[string]string{"action": "sendMessage", "toUserId": "alice", "objectName": "RC:TxtMsg",
		"content": `{"content":"note to self"}`, "clientMsgId": "self"})
	f, ack := u["alice"].Next(t, 5*time.Second), u["alice"].Next(t, 5*time.Second)
	if f["type"] != "message" || f["fromUserId"] != "alice" || ack["type"] != "ack" || code(ack) != 200 || f["msgId"] != ack["msgId"] {
		t.Fatalf("a message to oneself gave %v then %v, want the message then its ack", f, ack)
	}

	c.MustOK(t, "/user/deactivate.json", form("userId", "dora"))
	if f := u["dora"].Next(t, 2*time.Second); f["type"] != "kicked" {
		t.Fatalf("deactivated dora got %v, want the kicked frame", f)
	}
	s.Gateway.Wait()
	expectAck(t, u["alice"], "dora", "still there?", 3002)
}

func TestSendMessageRefusedSenders(t *testing.T) {
	s := testenv.StartStack(t)
	u := connect(t, s, "mal", "rob", "vic")
	ctx := context.Background()
	app := s.Apps[0].Key

	// A frame that arrives after the ban but before its kick closed the connection.
	if err := s.Service.Store.PutBans(ctx, app, []string{"mal"}, s.Clock.Now().Add(10*time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	expectAck(t, u["mal"], "rob", "banned", 3003)
	u["rob"].Quiet(t, quiet)
	s.Clock.Advance(10*time.Minute + time.Second)
	u["mal"].Send(t, map[string]string{"action": "ping"}) // keep the connections within the idle limit
	u["mal"].Next(t, 2*time.Second)
	u["rob"].Send(t, map[string]string{"action": "ping"})
	u["rob"].Next(t, 2*time.Second)
	expectMessage(t, u["rob"], expectAck(t, u["mal"], "rob", "ban over", 200), "mal", "ban over")

	// A frame that arrives after deactivation but before its kick.
	if err := s.Service.Store.Deactivate(ctx, app, "vic", s.Clock.Now().UnixMilli(), "op-1"); err != nil {
		t.Fatal(err)
	}
	expectAck(t, u["vic"], "rob", "gone", 3009)
	u["rob"].Quiet(t, quiet)
}

func TestSendMessageBadFrames(t *testing.T) {
	s := testenv.StartStack(t)
	u := connect(t, s, "alice", "bob")
	a := u["alice"]
	big := `{"a":"` + strings.Repeat("x", 61441) + `"}`
	s.Calls.Reset()
	for _, tc := range []struct {
		name        string
		frame       map[string]any
		code        int
		clientMsgID string
	}{
		{"no toUserId", map[string]any{"objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "b1"}, 1002, "b1"},
		{"toUserId a number", map[string]any{"toUserId": 7, "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "b2"}, 1002, "b2"},
		{"toUserId malformed", map[string]any{"toUserId": "bob smith", "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": "b3"}, 1002, "b3"},
		{"no objectName", map[string]any{"toUserId": "bob", "content": "{}", "clientMsgId": "b4"}, 1002, "b4"},
		{"objectName too long", map[string]any{"toUserId": "bob", "objectName": strings.Repeat("o", 33), "content": "{}", "clientMsgId": "b5"}, 1005, "b5"},
		{"no content", map[string]any{"toUserId": "bob", "objectName": "RC:TxtMsg", "clientMsgId": "b6"}, 1002, "b6"},
		{"content an object", map[string]any{"toUserId": "bob", "objectName": "RC:TxtMsg", "content": map[string]any{"a": 1}, "clientMsgId": "b7"}, 1002, "b7"},
		{"content not JSON", map[string]any{"toUserId": "bob", "objectName": "RC:TxtMsg", "content": "hello", "clientMsgId": "b8"}, 1002, "b8"},
		{"content too deep", map[string]any{"toUserId": "bob", "objectName": "RC:TxtMsg", "content": strings.Repeat("[", 33) + strings.Repeat("]", 33), "clientMsgId": "b9"}, 1002, "b9"},
		{"content over 61,440 bytes", map[string]any{"toUserId": "bob", "objectName": "RC:TxtMsg", "content": big, "clientMsgId": "b10"}, 1005, "b10"},
		{"frame over 32 KiB", map[string]any{"toUserId": "bob", "objectName": "RC:TxtMsg", "content": `{"a":"` + strings.Repeat("x", 32<<10) + `"}`, "clientMsgId": "b12"}, 1005, "b12"},
		{"clientMsgId a number", map[string]any{"toUserId": "bob", "objectName": "RC:TxtMsg", "content": "{}", "clientMsgId": 11}, 1002, ""},
	} {
		tc.frame["action"] = "sendMessage"
		a.Send(t, tc.frame)
		ack := a.Next(t, 5*time.Second)
		if ack["type"] != "ack" || code(ack) != tc.code || ack["clientMsgId"] != tc.clientMsgID || ack["msgId"] != nil || ack["errorMessage"] == "" {
			t.Errorf("%s: ack %v, want code %d for %q", tc.name, ack, tc.code, tc.clientMsgID)
		}
	}
	if n := s.Calls.Calls().Total(); n != 0 {
		t.Errorf("refused frames made %d DynamoDB calls, want none", n)
	}
	u["bob"].Quiet(t, quiet)

	// Not JSON at all: route selection finds no action, so API Gateway answers, not the function.
	if err := a.Conn.Write(context.Background(), websocket.MessageText, []byte(`{"action":"sendMessage",`)); err != nil {
		t.Fatal(err)
	}
	if f := a.Next(t, 5*time.Second); f["message"] != "Forbidden" {
		t.Errorf("a frame that is not JSON got %v, want API Gateway's Forbidden", f)
	}
	// A binary frame is handed over base64-encoded, and decoded.
	if err := a.Conn.Write(context.Background(), websocket.MessageBinary,
		[]byte(`{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":"{\"content\":\"binary\"}","clientMsgId":"bin"}`)); err != nil {
		t.Fatal(err)
	}
	ack := a.Next(t, 5*time.Second)
	if code(ack) != 200 || ack["clientMsgId"] != "bin" {
		t.Fatalf("a binary frame got %v", ack)
	}
	expectMessage(t, u["bob"], ack, "alice", "binary")

	// The connection is still usable after every refusal.
	expectMessage(t, u["bob"], expectAck(t, a, "bob", "still here", 200), "alice", "still here")

	// Over API Gateway's frame limit: the gateway closes the connection.
	a.Send(t, map[string]string{"action": "sendMessage", "toUserId": "bob", "pad": strings.Repeat("p", 130<<10)})
	a.Closed(t, 5*time.Second)
	u["bob"].Quiet(t, quiet)
}

// The function answers an ack for anything it is handed, even what API Gateway would not route
// to it, and never fails.
func TestSendMessageHandlerNeverFails(t *testing.T) {
	s := testenv.StartStack(t)
	register(t, s.Client(0), "alice")
	ev := func(body string, b64 bool) wsapi.Event {
		var e wsapi.Event
		e.Body, e.IsBase64Encoded = body, b64
		e.RequestContext.RouteKey = "sendMessage"
		e.RequestContext.ConnectionID = "Y29ubi0x"
		e.RequestContext.Authorizer = map[string]any{wsapi.ContextApp: s.Apps[0].Key, wsapi.ContextUser: "alice"}
		return e
	}
	for _, tc := range []struct {
		name string
		ev   wsapi.Event
		want string
	}{
		{"not JSON", ev(`{"action":"sendMessage",`, false), `{"type":"ack","clientMsgId":"","code":1002,"errorMessage":"frame is not a JSON object"}`},
		{"empty", ev(``, false), `{"type":"ack","clientMsgId":"","code":1002,"errorMessage":"frame is not a JSON object"}`},
		{"bad base64", ev(`***`, true), `{"type":"ack","clientMsgId":"","code":1002,"errorMessage":"frame is not valid base64"}`},
		{"base64 of a frame to nobody", ev(base64.StdEncoding.EncodeToString([]byte(`{"toUserId":"nobody","objectName":"RC:TxtMsg","content":"{}","clientMsgId":"z"}`)), true),
			`{"type":"ack","clientMsgId":"z","code":3001,"errorMessage":"the recipient does not exist"}`},
	} {
		resp, err := s.Service.WS.SendMessage(context.Background(), tc.ev)
		if err != nil || resp.StatusCode != http.StatusOK || resp.Body != tc.want {
			t.Errorf("%s: %d %s, %v; want 200 %s", tc.name, resp.StatusCode, resp.Body, err, tc.want)
		}
	}
	anon := ev(`{"toUserId":"alice","objectName":"RC:TxtMsg","content":"{}"}`, false)
	anon.RequestContext.Authorizer = nil
	if resp, err := s.Service.WS.SendMessage(context.Background(), anon); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an event without the authorizer's identity: %d, %v; want 401", resp.StatusCode, err)
	}
}

func TestSendMessageMuted(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := connect(t, s, "amy", "ben", "cal")
	c.MustOK(t, "/user/chat/fb/set.json", form("userId", "amy", "state", "1", "type", "PERSON"))

	// A muted sender's frame is refused, in the one batched read, and reaches nobody.
	s.Calls.Reset()
	ack := expectAck(t, u["amy"], "ben", "muted", 20106)
	if calls := s.Calls.Calls(); calls.Total() != 1 || calls.BatchGetItem != 1 {
		t.Errorf("a muted sender's message made %+v, budget one BatchGetItem", calls)
	}
	if ack["errorMessage"] != "the sender is muted in direct chats" {
		t.Errorf("ack = %v", ack)
	}
	u["ben"].Quiet(t, quiet)
	// The mute is decided after the recipient's existence and before its lists (and
	// friends-only, which comes after them: relations.TestDecide).
	expectAck(t, u["amy"], "nobody", "muted", 3001)
	c.MustOK(t, "/user/blacklist/add.json", form("userId", "ben", "blackUserId", "amy"))
	expectAck(t, u["amy"], "ben", "muted", 20106)
	c.MustOK(t, "/user/blacklist/remove.json", form("userId", "ben", "blackUserId", "amy"))

	// A muted user still receives, and the App Server still publishes on its behalf.
	expectMessage(t, u["amy"], expectAck(t, u["ben"], "amy", "to amy", 200), "ben", "to amy")
	r := c.MustOK(t, "/message/private/publish.json", form("fromUserId", "amy", "toUserId", "ben",
		"objectName", "RC:TxtMsg", "content", `{"content":"from the server"}`))
	if r.Body["rejected"] != nil {
		t.Fatalf("publish for a muted user: %s", r.Raw)
	}
	if f := u["ben"].Next(t, 2*time.Second); f["type"] != "message" || f["fromUserId"] != "amy" {
		t.Fatalf("ben got %v, want amy's published message", f)
	}
	// Only amy is muted; unmuted, she sends again.
	expectMessage(t, u["amy"], expectAck(t, u["cal"], "amy", "not muted", 200), "cal", "not muted")
	c.MustOK(t, "/user/chat/fb/set.json", form("userId", "amy", "state", "0", "type", "PERSON"))
	expectMessage(t, u["ben"], expectAck(t, u["amy"], "ben", "unmuted", 200), "amy", "unmuted")
}

// The friends-only setting a client message read serves the instance's next messages for
// IM_SETTINGS_MAX_AGE_SECONDS, so a change reaches client sends within that time, and no later.
func TestFriendsOnlyReachesSendsWithinTheSettingsMaxAge(t *testing.T) {
	const maxAge = time.Second
	s := testenv.StartStackWith(t, testenv.Options{Configure: func(c *service.Config) { c.SettingsMaxAge = maxAge }})
	c := s.Client(0)
	u := connect(t, s, "amy", "ben")
	expectMessage(t, u["ben"], expectAck(t, u["amy"], "ben", "setting read", 200), "amy", "setting read")

	set := time.Now()
	c.MustOK(t, "/app/setting/set.json", form("friendsOnlyDirectMessages", "1"))
	ack := send(t, u["amy"], "ben", "within the max age")
	if code(ack) != 200 && time.Since(set) < maxAge {
		t.Fatalf("a send right after the change got %v; the settings read less than %v before should serve", ack, maxAge)
	}
	if code(ack) == 200 {
		u["ben"].Next(t, 5*time.Second)
	}

	time.Sleep(maxAge - time.Since(set) + 50*time.Millisecond)
	expectAck(t, u["amy"], "ben", "after the max age", 3008)
	u["ben"].Quiet(t, quiet)
}

// refusingEndpoint stands between the service and the stack's @connections endpoint: while on,
// it answers 429 to every post to one connection (the first posted to), as an API Gateway over
// its account's quota would, past the Management API client's retries.
type refusingEndpoint struct {
	on      atomic.Bool
	mu      sync.Mutex
	refused string
}

func (e *refusingEndpoint) configure(t *testing.T) func(*service.Config) {
	return func(c *service.Config) {
		target, err := url.Parse(c.ManagementEndpoint)
		if err != nil {
			t.Fatal(err)
		}
		proxy := httputil.NewSingleHostReverseProxy(target)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && e.on.Load() && e.refuses(path.Base(r.URL.Path)) {
				w.Header().Set("X-Amzn-ErrorType", "LimitExceededException")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = io.WriteString(w, `{"message":"Too Many Requests"}`)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		c.ManagementEndpoint = srv.URL
	}
}

func (e *refusingEndpoint) refuses(conn string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refused == "" {
		e.refused = conn
	}
	return e.refused == conn
}

// A message one of the recipient's open connections refused is not acked 200: the ack (206)
// and the publish answer say how many connections took it; with nothing refused it is 200 again.
func TestDeliveryRefusedByAConnectionIsReported(t *testing.T) {
	var ep refusingEndpoint
	s := testenv.StartStackWith(t, testenv.Options{Configure: ep.configure(t)})
	c := s.Client(0)
	u := connect(t, s, "alice")
	tok := c.Register(t, "bob")
	phone, laptop := testenv.NewInbox(s.MustDial(t, tok)), testenv.NewInbox(s.MustDial(t, tok))

	ep.on.Store(true)
	ack := send(t, u["alice"], "bob", "one of two")
	if code(ack) != 206 || ack["delivered"] != 1.0 || ack["connections"] != 2.0 || ack["msgId"] == nil || ack["errorMessage"] == nil {
		t.Fatalf("ack %v, want 206 with 1 of 2 connections and the message's id", ack)
	}
	got := 0
	for _, in := range []*testenv.Inbox{phone, laptop} {
		if f, ok := in.Poll(quiet); ok {
			if f["msgId"] != ack["msgId"] {
				t.Fatalf("bob got %v, want message %v", f, ack["msgId"])
			}
			got++
		}
	}
	if got != 1 {
		t.Fatalf("the message reached %d of bob's connections, want 1", got)
	}

	res := c.MustOK(t, "/message/private/publish.json", form("fromUserId", "alice", "toUserId", "bob", "objectName", "RC:TxtMsg", "content", `{"content":"server"}`))
	und, _ := res.Body["undelivered"].([]any)
	if len(und) != 1 || und[0].(map[string]any)["userId"] != "bob" || und[0].(map[string]any)["delivered"] != 1.0 || und[0].(map[string]any)["connections"] != 2.0 {
		t.Fatalf("publish answer %v, want bob undelivered on 1 of 2 connections", res.Body)
	}
	phone.Poll(quiet)
	laptop.Poll(quiet)

	ep.on.Store(false)
	ack = expectAck(t, u["alice"], "bob", "both", 200)
	expectMessage(t, phone, ack, "alice", "both")
	expectMessage(t, laptop, ack, "alice", "both")
}
