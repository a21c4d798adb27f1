package webhooks_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"imusers/shared/domain/webhooks"
	"imusers/shared/testenv"
)

// failing is a status script of n answers of 500.
func failing(n int) []int { return slices.Repeat([]int{http.StatusInternalServerError}, n) }

// blockAll registers and blocks n users in one call: n events, attempted one after another.
func blockAll(t *testing.T, s *testenv.Stack, n int) {
	t.Helper()
	c := s.Client(0)
	var ids []string
	for i := range n {
		id := "user" + string(rune('a'+i))
		c.Register(t, id)
		ids = append(ids, id)
	}
	c.MustOK(t, "/user/block.json", testenv.Form("userId", strings.Join(ids, ","), "minute", "60"))
	s.Gateway.Wait()
}

// After 20 failed deliveries in a row the app's deliveries pause: a new event is kept, not
// attempted, and waiting ones are not attempted either, until a delivered test event resumes
// them; then every kept event is delivered.
func TestPauseAfterFailuresEndsWithATestEvent(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	r := newReceiver(t, failing(webhooks.PauseAfter)...)
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL, "webhookFormat", "nexconn"))
	blockAll(t, s, webhooks.PauseAfter)
	if n := len(r.requests()); n != webhooks.PauseAfter {
		t.Fatalf("%d requests, want %d", n, webhooks.PauseAfter)
	}
	c.MustOK(t, "/user/unblock.json", testenv.Form("userId", "usera"))
	s.Gateway.Wait()
	s.Clock.Advance(40 * time.Second) // the first retries are due; the pause is not over
	tick(t, s)
	if n := len(r.requests()); n != webhooks.PauseAfter {
		t.Fatalf("%d requests while paused, want %d", n, webhooks.PauseAfter)
	}

	if got := c.MustOK(t, "/app/webhook/test.json", nil); got.Body["delivered"] != true {
		t.Fatalf("test event: %s", got.Raw)
	}
	s.Clock.Advance(40 * time.Second)
	tick(t, s)
	got := r.requests()
	if len(got) != 2*webhooks.PauseAfter+2 {
		t.Fatalf("%d requests after the test event, want %d", len(got), 2*webhooks.PauseAfter+2)
	}
	types := map[string]int{}
	for _, g := range got[webhooks.PauseAfter+1:] {
		for _, e := range nexconnEvents(t, s.Apps[0], []received{g}) {
			types[e.Type]++
		}
	}
	if types[webhooks.Banned] != webhooks.PauseAfter || types[webhooks.Unbanned] != 1 {
		t.Fatalf("delivered after the pause: %v", types)
	}
}

// A pause lasts a minute from the last failure: then one attempt is made, and its failure
// pauses deliveries again. A change of the webhook settings resumes them: a new event goes at
// once, and the kept ones when they are due (at most the minute).
func TestPauseLastsAMinuteAndEndsWithASettingsChange(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	r := newReceiver(t, failing(webhooks.PauseAfter+1)...)
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL, "webhookFormat", "nexconn"))
	blockAll(t, s, webhooks.PauseAfter)
	c.MustOK(t, "/user/unblock.json", testenv.Form("userId", "usera"))
	c.MustOK(t, "/user/unblock.json", testenv.Form("userId", "userb"))
	s.Gateway.Wait()
	if n := len(r.requests()); n != webhooks.PauseAfter {
		t.Fatalf("%d requests, want %d", n, webhooks.PauseAfter)
	}

	s.Clock.Advance(webhooks.PauseFor + time.Second)
	tick(t, s) // one attempt fails: paused again
	if n := len(r.requests()); n != webhooks.PauseAfter+1 {
		t.Fatalf("%d requests after the pause, want %d (one attempt)", n, webhooks.PauseAfter+1)
	}
	tick(t, s)
	if n := len(r.requests()); n != webhooks.PauseAfter+1 {
		t.Fatalf("%d requests: the failure after the pause did not pause again", n)
	}

	// The receiver answers 200 from now on. A new event goes at once; those kept go when due.
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookFormat", "nexconn"))
	c.MustOK(t, "/user/unblock.json", testenv.Form("userId", "userc"))
	s.Gateway.Wait()
	if n := len(r.requests()); n != webhooks.PauseAfter+2 {
		t.Fatalf("%d requests after the settings change, want %d", n, webhooks.PauseAfter+2)
	}
	s.Clock.Advance(webhooks.PauseFor + time.Second)
	tick(t, s)
	if n := len(r.requests()); n != 2*webhooks.PauseAfter+4 {
		t.Fatalf("%d requests once the kept events were due, want %d", n, 2*webhooks.PauseAfter+4)
	}
}
