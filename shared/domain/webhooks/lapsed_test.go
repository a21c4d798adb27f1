package webhooks_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	"imusers/shared/domain/webhooks"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// statusEvent is a nexconn connection_status body's data[0], with our reason.
func statusEvent(t *testing.T, g received) webhooks.Data {
	t.Helper()
	var e envelope
	if err := json.Unmarshal(g.body, &e); err != nil || e.Type != webhooks.ConnectionStatus || len(e.Data) != 1 {
		t.Fatalf("body %s", g.body)
	}
	return e.Data[0]
}

// A connection announced as opened and then silent past API Gateway's idle limit, with no
// $disconnect, is found by the per-minute schedule, forgotten and announced offline once, with
// our reason; one that pings is looked at again later and left alone; one that closed is not
// announced twice. The schedule finds them with a query per shard (the store has no scan).
func TestLapsedConnectionsAreAnnounced(t *testing.T) {
	s := testenv.StartStack(t)
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t)
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL, "webhookFormat", "nexconn"))
	silent := s.MustDial(t, c.Register(t, "alice"))
	defer silent.CloseNow()
	pinging := s.MustDial(t, c.Register(t, "bob"))
	waitRequests(t, r, 2)
	s.Gateway.Wait()

	s.Clock.Advance(5 * time.Minute)
	testenv.WriteFrame(t, pinging, map[string]string{"action": "ping"})
	if _, err := testenv.ReadFrame(t, pinging, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(store.ConnectionIdle + store.SeenRefresh - 5*time.Minute + time.Second)
	s.Calls.Reset()
	tick(t, s)
	got := r.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests after alice's connection lapsed, want 3", len(got))
	}
	verify(t, app, got[2])
	if d := statusEvent(t, got[2]); d.UserID != "alice" || d.Status != "1" || d.Reason != webhooks.LapsedReason || d.SessionID == "" || d.ClientIP != "127.0.0.1" {
		t.Fatalf("lapse event %s", got[2].body)
	}
	// Both due watches: one batched read of the users' presence, one write to forget alice's
	// connection, one batch write to end her watch and move bob's.
	if calls := s.Calls.Calls(); calls.BatchGetItem != 1 || calls.UpdateItem != 1 || calls.BatchWriteItem != 1 {
		t.Fatalf("the schedule made %+v", calls)
	}
	conns, err := s.Service.Store.Connections(context.Background(), app.Key, "alice", store.Strong)
	if err != nil || len(conns) != 0 {
		t.Fatalf("alice's lapsed connection is still recorded: %v %v", conns, err)
	}
	tick(t, s)
	if n := len(r.requests()); n != 3 {
		t.Fatalf("%d requests: the lapse was announced again", n)
	}

	// bob pinged: not lapsed yet. He leaves; his watch ends without a second announcement.
	pinging.Close(websocket.StatusNormalClosure, "bye")
	waitRequests(t, r, 4)
	s.Clock.Advance(10 * time.Minute)
	tick(t, s)
	if got := r.requests(); len(got) != 4 || statusEvent(t, got[3]).Reason != "" {
		t.Fatalf("%d requests after bob left, want 4 (his disconnect only)", len(got))
	}
	if left, err := s.Service.Store.DueConnWatches(context.Background(), s.Clock.Now().Add(3*time.Hour), 100); err != nil || len(left) != 0 {
		t.Fatalf("watches left: %v %v", left, err)
	}
}
