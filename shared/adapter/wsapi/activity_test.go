package wsapi_test

import (
	"testing"
	"time"

	"imusers/shared/store"
	"imusers/shared/testenv"
)

// pong sends a ping frame on in and reads its pong.
func pong(t *testing.T, in *testenv.Inbox) {
	t.Helper()
	in.Send(t, map[string]string{"action": "ping"})
	if f := in.Next(t, 5*time.Second); f["type"] != "pong" {
		t.Fatalf("ping answered %v", f)
	}
}

// Client frames write the connection's last-seen time at most every SeenRefresh: a ping or a
// message within it writes nothing, and a message counts as activity as a ping does.
func TestClientFramesRefreshLastSeenAtMostEverySeenRefresh(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	u := connect(t, s, "alice", "bob")
	lastSeen := func(user string) int64 {
		t.Helper()
		conns := connections(t, s, user)
		if len(conns) != 1 {
			t.Fatalf("%s has %d connections recorded, want 1", user, len(conns))
		}
		return conns[0].LastSeen
	}
	writes := func(what string, want int64) {
		t.Helper()
		if got := s.Calls.Calls(); got.UpdateItem != want {
			t.Errorf("%s made %+v, want %d writes", what, got, want)
		}
		s.Calls.Reset()
	}
	connected := lastSeen("alice")

	s.Calls.Reset()
	pong(t, u["alice"])
	writes("a ping right after the connect", 0)

	s.Clock.Advance(store.SeenRefresh)
	before := s.Clock.Now().UnixMilli()
	pong(t, u["alice"])
	writes("a ping SeenRefresh after the connect", 1)
	pinged := lastSeen("alice")
	if pinged < before {
		t.Fatalf("last-seen %d after the ping, want at least %d", pinged, before)
	}
	s.Calls.Reset()
	pong(t, u["alice"])
	s.Clock.Advance(store.SeenRefresh - time.Second)
	pong(t, u["alice"])
	writes("two pings within SeenRefresh of the last write", 0)
	expectMessage(t, u["bob"], expectAck(t, u["alice"], "bob", "quiet", 200), "alice", "quiet")
	writes("a message within SeenRefresh of the last write", 0)

	// Only messages from here on: the message's write keeps alice online past the time her
	// ping's last-seen alone would have lapsed.
	s.Clock.Advance(time.Second)
	expectMessage(t, u["bob"], expectAck(t, u["alice"], "bob", "still here", 200), "alice", "still here")
	writes("a message SeenRefresh after the last write", 1)
	if sent := lastSeen("alice"); sent <= pinged {
		t.Fatalf("a message did not refresh last-seen (%d, the ping's %d, the connect's %d)", sent, pinged, connected)
	}
	s.Clock.Advance(store.ConnectionIdle)
	if online(t, c, "alice") != "1" {
		t.Error("a user who only sends messages went offline at the idle limit after its last ping")
	}
	// Bob's connection sent nothing since its connect: past the idle limit and the refresh
	// interval it no longer counts.
	if online(t, c, "bob") != "0" {
		t.Error("a connection silent since its connect, more than the idle limit and SeenRefresh ago, still counts")
	}
}
