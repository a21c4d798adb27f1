package webhooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"imusers/shared/apps"
	"imusers/shared/domain/webhooks"
	"imusers/shared/service"
	"imusers/shared/testenv"
)

// envelope is a nexconn body as a receiver reads it.
type envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Time int64           `json:"time"`
	Data []webhooks.Data `json:"data"`
}

// nexconnEvents checks the signatures of requests and reads their bodies, by user.
func nexconnEvents(t *testing.T, app apps.App, got []received) map[string]envelope {
	t.Helper()
	out := map[string]envelope{}
	for _, g := range got {
		verify(t, app, g)
		var e envelope
		if err := json.Unmarshal(g.body, &e); err != nil || len(e.Data) != 1 || e.ID != g.header.Get("X-Webhook-Id") {
			t.Fatalf("body %s: %v", g.body, err)
		}
		out[e.Data[0].UserID] = e
	}
	return out
}

// tick runs the per-minute schedule once, through the stack's Lambda Invoke endpoint, with the
// event EventBridge sends.
func tick(t *testing.T, s *testenv.Stack) {
	t.Helper()
	ev := `{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-01T00:00:00Z","detail":{}}`
	resp, err := http.Post(s.URL+"/2015-03-31/functions/webhookSchedule/invocations", "application/json", strings.NewReader(ev))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("schedule: HTTP %d, %s", resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
	}
}

// Block, unblock and the end of a ban reach a receiver on loopback, signed; a ban is announced
// once, within the schedule's minute, and not when it was lifted or replaced.
func TestBanEvents(t *testing.T) {
	s := testenv.StartStack(t)
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t)
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL+"/hooks", "webhookFormat", "nexconn"))
	for _, u := range []string{"alice", "bob", "carol"} {
		c.Register(t, u)
	}

	start := s.Clock.Now()
	c.MustOK(t, "/user/block.json", testenv.Form("userId", "alice,bob,carol", "minute", "1"))
	s.Gateway.Wait()
	banned := nexconnEvents(t, app, r.requests())
	for _, u := range []string{"alice", "bob", "carol"} {
		e := banned[u]
		if e.Type != webhooks.Banned || e.Data[0].Minute != 1 || e.Data[0].EndTime < start.Add(time.Minute).UnixMilli() {
			t.Fatalf("banned event of %s: %+v", u, e)
		}
	}
	c.MustOK(t, "/user/unblock.json", testenv.Form("userId", "bob"))
	c.MustOK(t, "/user/block.json", testenv.Form("userId", "carol", "minute", "10"))
	s.Gateway.Wait()
	if got := r.requests(); len(got) != 5 {
		t.Fatalf("%d requests after unblock and re-block, want 5", len(got))
	} else if e := nexconnEvents(t, app, got[3:])["bob"]; e.Type != webhooks.Unbanned { // the two deliveries run side by side
		t.Fatalf("unblock sent %+v", e)
	}

	tick(t, s) // nothing has ended yet
	if n := len(r.requests()); n != 5 {
		t.Fatalf("%d requests before any ban ended", n)
	}
	s.Clock.Advance(61 * time.Second)
	tick(t, s)
	tick(t, s) // announced once
	got := r.requests()
	if len(got) != 6 {
		t.Fatalf("%d requests after the first ban ended, want 6", len(got))
	}
	e := nexconnEvents(t, app, got[5:])["alice"]
	if e.Type != webhooks.BanExpired || e.Data[0].EndTime != banned["alice"].Data[0].EndTime {
		t.Fatalf("ban_expired = %+v", e)
	}
}

// Reactivation is called back at once, in the platform's form; with the URL turned off nothing
// is sent.
func TestActivationEventAndNoURL(t *testing.T) {
	s := testenv.StartStack(t)
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t)
	c.Register(t, "alice")
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL))
	resp := c.MustOK(t, "/user/reactivate.json", testenv.Form("userId", "alice"))
	s.Gateway.Wait()
	got := r.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	verify(t, app, got[0])
	form, err := url.ParseQuery(string(got[0].body))
	if err != nil || form.Get("userId") != "alice" || form.Get("type") != "1" || form.Get("code") != "0" ||
		form.Get("operateId") != resp.Body["operateId"] || got[0].header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("callback %s (%v)", got[0].body, got[0].header)
	}

	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", ""))
	c.MustOK(t, "/user/reactivate.json", testenv.Form("userId", "alice"))
	c.MustOK(t, "/user/block.json", testenv.Form("userId", "alice", "minute", "1"))
	s.Gateway.Wait()
	if n := len(r.requests()); n != 1 {
		t.Fatalf("%d requests with no URL set", n)
	}
}

// A deactivation is called back when its erasure has finished, with user:deactivation_erased
// beside it; a development delete raises only the latter, with its reason. Finished means after
// the final sweep, which the erasure function's schedule starts once the settle time is over.
func TestErasureEvents(t *testing.T) {
	const settle = 15 * time.Second
	s := testenv.StartStackWith(t, testenv.Options{Configure: func(c *service.Config) { c.ErasureSettle = settle }})
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t)
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL, "webhookFormat", "nexconn"))
	c.Register(t, "alice")
	c.Register(t, "bob")
	op := c.MustOK(t, "/user/deactivate.json", testenv.Form("userId", "alice")).Body["operateId"]
	c.MustOK(t, "/user/delusers.json", testenv.Form("userId", "bob"))
	s.Gateway.Wait()
	s.Tick(t, "eraseUsers")
	if got := r.requests(); len(got) != 0 {
		t.Fatalf("%d events before the final sweep: %s", len(got), got[0].body)
	}
	s.Clock.Advance(settle)
	s.Tick(t, "eraseUsers")
	byType := map[string][]envelope{}
	for _, g := range r.requests() {
		for _, e := range nexconnEvents(t, app, []received{g}) {
			byType[e.Type] = append(byType[e.Type], e)
		}
	}
	act, erased := byType[webhooks.ActivationState], byType[webhooks.DeactivationErased]
	if len(act) != 1 || act[0].Data[0].UserID != "alice" || act[0].Data[0].OperationType == nil || *act[0].Data[0].OperationType != 0 ||
		act[0].Data[0].OperateID != op || act[0].Data[0].Code != "0" {
		t.Fatalf("activation_state events %+v", act)
	}
	reasons := map[string]string{}
	for _, e := range erased {
		reasons[e.Data[0].UserID] = e.Data[0].Reason
	}
	if len(erased) != 2 || reasons["alice"] != "deactivated" || reasons["bob"] != "deleted" {
		t.Fatalf("deactivation_erased events %+v", erased)
	}
}

// waitRequests waits up to 15 s for the receiver to have n requests.
func waitRequests(t *testing.T, r *receiver, n int) []received {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got := r.requests(); len(got) >= n {
			return got
		}
	}
	t.Fatalf("%d requests after 15 s, want %d", len(r.requests()), n)
	return nil
}

// Each connection is announced as it opens and as it closes, whether the client left or was
// kicked, in the platform's online-status array; an app without the webhook when the
// connection opened hears of neither.
func TestConnectionEvents(t *testing.T) {
	s := testenv.StartStack(t)
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t)
	tok := c.Register(t, "alice")
	quiet := s.MustDial(t, tok) // opened before the webhook was set
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL))

	first := s.MustDial(t, tok)
	first.Close(websocket.StatusNormalClosure, "bye")
	second := s.MustDial(t, tok)
	go func() { // read, as a client does, so the kick's close completes
		for {
			if _, _, err := second.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	c.MustOK(t, "/user/block.json", testenv.Form("userId", "alice", "minute", "1")) // kicks both open ones
	quiet.CloseNow()
	got := waitRequests(t, r, 4)
	time.Sleep(200 * time.Millisecond)
	if got = r.requests(); len(got) != 4 {
		t.Fatalf("%d requests, want 4 (two opens, two closes)", len(got))
	}
	statuses := map[string][]string{}
	for _, g := range got {
		verify(t, app, g)
		var body []map[string]any
		if err := json.Unmarshal(g.body, &body); err != nil || len(body) != 1 {
			t.Fatalf("body %s", g.body)
		}
		e := body[0]
		if e["userid"] != "alice" || e["os"] != "Websocket" || e["clientIp"] != "127.0.0.1" || e["sessionId"] == "" {
			t.Fatalf("event %v", e)
		}
		statuses[e["sessionId"].(string)] = append(statuses[e["sessionId"].(string)], e["status"].(string))
	}
	if len(statuses) != 2 {
		t.Fatalf("events of %d connections, want 2: %v", len(statuses), statuses)
	}
	for id, st := range statuses {
		slices.Sort(st)
		if !slices.Equal(st, []string{"0", "1"}) {
			t.Fatalf("connection %s: statuses %v", id, st)
		}
	}
}

// A refused event waits in the dead-letter store until the signed replay call queues it again;
// the next schedule run delivers it with its id and the next attempt number. The call costs
// one query and one batch write.
func TestReplayCall(t *testing.T) {
	s := testenv.StartStack(t)
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t, http.StatusGone)
	c.Register(t, "alice")
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL, "webhookFormat", "nexconn"))
	c.MustOK(t, "/user/block.json", testenv.Form("userId", "alice", "minute", "5"))
	s.Gateway.Wait()
	tick(t, s)
	if n := len(r.requests()); n != 1 {
		t.Fatalf("%d requests: a 410 was tried again", n)
	}

	s.Calls.Reset()
	if got := c.MustOK(t, "/app/webhook/replay.json", nil); got.Body["replayed"] != 1.0 {
		t.Fatalf("replay answered %s", got.Raw)
	}
	if calls := s.Calls.Calls(); calls.Query != 1 || calls.BatchWriteItem != 1 || calls.Total() != 2 {
		t.Fatalf("replay made %+v", calls)
	}
	tick(t, s)
	got := r.requests()
	if len(got) != 2 || got[1].header.Get("X-Webhook-Id") != got[0].header.Get("X-Webhook-Id") || got[1].header.Get("X-Webhook-Attempt") != "2" {
		t.Fatalf("after replay: %d requests, last %v", len(got), got[len(got)-1].header)
	}
	verify(t, app, got[1])
	if again := c.MustOK(t, "/app/webhook/replay.json", nil); again.Body["replayed"] != 0.0 {
		t.Fatalf("a delivered event was replayed again: %s", again.Raw)
	}
}
