package webhooks_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"imusers/shared/domain/webhooks"
	"imusers/shared/testenv"
)

// The test call sends one webhook:test event at once, in the same envelope whatever the
// format, signed as every event is, and answers what the receiver did with it: delivered, or
// not with its status and a reason. It makes one attempt and keeps nothing for a retry.
func TestTestCall(t *testing.T) {
	s := testenv.StartStack(t)
	c, app := s.Client(0), s.Apps[0]
	r := newReceiver(t, http.StatusOK, http.StatusOK, http.StatusInternalServerError)

	for i, format := range []string{webhooks.FormatRongCloud, webhooks.FormatNexconn} {
		c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", r.URL+"/hooks", "webhookFormat", format))
		s.Calls.Reset()
		got := c.MustOK(t, "/app/webhook/test.json", nil)
		if got.Body["delivered"] != true || got.Body["httpStatus"] != 200.0 || got.Body["error"] != nil {
			t.Fatalf("%s: answered %s", format, got.Raw)
		}
		if calls := s.Calls.Calls(); calls.GetItem != 1 || calls.Total() != 1 {
			t.Fatalf("%s: the test call made %+v", format, calls)
		}
		reqs := r.requests()
		if len(reqs) != i+1 {
			t.Fatalf("%s: %d requests", format, len(reqs))
		}
		req := reqs[i]
		verify(t, app, req)
		var body struct {
			Type string              `json:"type"`
			ID   string              `json:"id"`
			Time int64               `json:"time"`
			Data []map[string]string `json:"data"`
		}
		if err := json.Unmarshal(req.body, &body); err != nil || body.Type != webhooks.Test || body.ID == "" || body.ID != req.header.Get("X-Webhook-Id") ||
			body.Time == 0 || len(body.Data) != 1 || len(body.Data[0]) != 1 || body.Data[0]["message"] != "test" ||
			req.header.Get("X-Webhook-Attempt") != "1" || req.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: request %s %v", format, req.body, req.header)
		}
	}

	got := c.MustOK(t, "/app/webhook/test.json", nil)
	if got.Body["delivered"] != false || got.Body["httpStatus"] != 500.0 || got.Body["error"] != "the receiver answered HTTP 500" {
		t.Fatalf("receiver 500: answered %s", got.Raw)
	}
	tick(t, s)
	s.Clock.Advance(webhooks.RetryFor)
	tick(t, s)
	if n := len(r.requests()); n != 3 {
		t.Fatalf("%d requests: a failed test event was tried again", n)
	}
}

// Without a webhookUrl the test call answers 1002 and sends nothing; an address nobody
// answers on is not delivered, with a reason that names no address.
func TestTestCallWithoutReceiver(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	r := newReceiver(t)
	// Only a per-event override: there is no webhookUrl to test.
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrls", `{"user:banned":"`+r.URL+`"}`, "webhookFormat", "nexconn"))
	res := c.Expect(t, "/app/webhook/test.json", nil, http.StatusBadRequest, 1002)
	if res.Body["errorMessage"] != "no webhook url is set" {
		t.Fatalf("answered %s", res.Raw)
	}
	if n := len(r.requests()); n != 0 {
		t.Fatalf("%d requests with no URL set", n)
	}

	gone := newReceiver(t)
	gone.Close()
	c.MustOK(t, "/app/setting/set.json", testenv.Form("webhookUrl", gone.URL))
	got := c.MustOK(t, "/app/webhook/test.json", nil)
	if got.Body["delivered"] != false || got.Body["httpStatus"] != 0.0 || got.Body["error"] != "the connection was refused" {
		t.Fatalf("closed receiver: answered %s", got.Raw)
	}
}
