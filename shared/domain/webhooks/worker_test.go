package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/webhooks"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// received is one request as the receiver saw it.
type received struct {
	query  url.Values
	header http.Header
	body   []byte
}

// receiver is an App Server on loopback that answers each request with the next status of a
// script (200 once the script runs out), after a delay when one is set.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	script []int
	delay  time.Duration
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.URL.Query(), req.Header.Clone(), body})
		status, delay := http.StatusOK, r.delay
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		time.Sleep(delay)
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// verify checks both signatures of a request as a receiver would, with the app's secret.
func verify(t *testing.T, app apps.App, r received) {
	t.Helper()
	q := r.query
	if q.Get("appKey") != app.Key || len(q.Get("nonce")) == 0 || len(q.Get("nonce")) > 18 {
		t.Fatalf("URL parameters %v", q)
	}
	if q.Get("signature") != webhooks.URLSignature(app.Secret, q.Get("nonce"), q.Get("signTimestamp")) {
		t.Fatalf("URL signature does not verify: %v", q)
	}
	if r.header.Get("X-Webhook-Signature-256") != webhooks.BodySignature(app.Secret, q.Get("signTimestamp"), r.body) {
		t.Fatalf("body signature does not verify")
	}
}

type fixture struct {
	app    apps.App
	st     *store.Store
	worker *webhooks.Worker
	clock  *testenv.Clock
}

func newFixture(t *testing.T, policy webhooks.Policy) *fixture {
	app := testenv.NewApp(apps.Production)
	reg, err := apps.NewRegistry([]apps.App{app})
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.Client(t)
	st := store.New(db, testenv.NewTable(t, db))
	clock := &testenv.Clock{}
	w := &webhooks.Worker{Apps: reg, Store: st, Sender: webhooks.NewSender(policy, clock.Now),
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Now: clock.Now}
	return &fixture{app, st, w, clock}
}

func (f *fixture) configure(t *testing.T, format, target string) {
	t.Helper()
	if err := f.st.UpdateAppSettings(context.Background(), f.app.Key, store.AppSettingsChange{WebhookURL: &target, WebhookFormat: &format}); err != nil {
		t.Fatal(err)
	}
}

func banned(now time.Time) webhooks.Event {
	return webhooks.New(webhooks.Banned, webhooks.Data{UserID: "alice", Minute: 60, EndTime: now.Add(time.Hour).UnixMilli(), Time: now.UnixMilli()})
}

func (f *fixture) pending(t *testing.T) []store.WebhookDelivery {
	t.Helper()
	due, err := f.st.DueWebhooks(context.Background(), f.clock.Now().Add(48*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return due
}

func (f *fixture) dead(t *testing.T) []store.WebhookDelivery {
	t.Helper()
	dead, err := f.st.DeadWebhooks(context.Background(), f.app.Key, f.clock.Now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return dead
}

// Each event type in each format: the body as the contract shows it, signed both ways.
func TestBodies(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1767225600000)
	zero, one := 0, 1
	conn := webhooks.Event{ID: "e1", Type: webhooks.ConnectionStatus, Time: now.UnixMilli(), Data: webhooks.Data{
		UserID: "alice", Status: "0", OS: "Websocket", ClientIP: "203.0.113.9", SessionID: "c1", Time: now.UnixMilli()}}
	deact := webhooks.Event{ID: "e2", Type: webhooks.ActivationState, Time: now.UnixMilli(), Data: webhooks.Data{
		UserID: "bob", OperateID: "op1", OperationType: &zero, Code: "0", Time: now.UnixMilli()}}
	react := deact
	react.Data.OperationType = &one
	for _, tc := range []struct {
		format      string
		ev          webhooks.Event
		contentType string
		body        string
	}{
		{webhooks.FormatRongCloud, conn, "application/json",
			`[{"userid":"alice","status":"0","os":"Websocket","time":1767225600000,"clientIp":"203.0.113.9","sessionId":"c1"}]`},
		{webhooks.FormatRongCloud, deact, "application/x-www-form-urlencoded", `code=0&operateId=op1&time=1767225600000&type=0&userId=bob`},
		{webhooks.FormatRongCloud, react, "application/x-www-form-urlencoded", `code=0&operateId=op1&time=1767225600000&type=1&userId=bob`},
		{webhooks.FormatNexconn, conn, "application/json",
			`{"type":"user:connection_status","id":"e1","time":1767225600000,"data":[{"userId":"alice","status":"0","os":"Websocket","clientIp":"203.0.113.9","sessionId":"c1","time":1767225600000}]}`},
		{webhooks.FormatNexconn, deact, "application/json",
			`{"type":"user:activation_state","id":"e2","time":1767225600000,"data":[{"userId":"bob","operateId":"op1","operationType":0,"code":"0","time":1767225600000}]}`},
		{webhooks.FormatNexconn, webhooks.Event{ID: "e3", Type: webhooks.Banned, Time: 5, Data: webhooks.Data{UserID: "u", Minute: 60, EndTime: 3600005, Time: 5}},
			"application/json", `{"type":"user:banned","id":"e3","time":5,"data":[{"userId":"u","minute":60,"endTime":3600005,"time":5}]}`},
		{webhooks.FormatNexconn, webhooks.Event{ID: "e4", Type: webhooks.DeactivationErased, Time: 5, Data: webhooks.Data{UserID: "u", OperateID: "op", Reason: "deleted", Time: 5}},
			"application/json", `{"type":"user:deactivation_erased","id":"e4","time":5,"data":[{"userId":"u","operateId":"op","reason":"deleted","time":5}]}`},
	} {
		app := apps.App{Key: "k", Secret: "s"}
		req, err := webhooks.Request(ctx, app, tc.format, "https://hooks.example.com/in?a=1", tc.ev, 3, now)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(req.Body)
		if string(body) != tc.body || req.Header.Get("Content-Type") != tc.contentType {
			t.Errorf("%s %s body %s (%s)\nwant %s", tc.format, tc.ev.Type, body, req.Header.Get("Content-Type"), tc.body)
		}
		if req.Header.Get("X-Webhook-Id") != tc.ev.ID || req.Header.Get("X-Webhook-Attempt") != "3" || req.URL.Query().Get("a") != "1" {
			t.Errorf("headers %v, URL %s", req.Header, req.URL)
		}
		verify(t, app, received{req.URL.Query(), req.Header, body})
		if req.URL.Query().Get("signTimestamp") != "1767225600000" {
			t.Errorf("signTimestamp %s", req.URL.Query().Get("signTimestamp"))
		}
	}
	// rongcloud carries none of our own events.
	if _, _, err := webhooks.Body(webhooks.FormatRongCloud, webhooks.Event{Type: webhooks.Banned}); err == nil {
		t.Error("rongcloud body of user:banned made")
	}
}

// A 500 is tried again when due with the same id and the next attempt number; success ends it.
func TestRetryAfterServerError(t *testing.T) {
	f := newFixture(t, webhooks.Policy{AllowLoopback: true})
	r := newReceiver(t, 500, 503)
	f.configure(t, webhooks.FormatNexconn, r.URL+"/hook")
	ctx := context.Background()
	ev := banned(f.clock.Now())
	if err := f.worker.Handle(ctx, webhooks.Batch{App: f.app.Key, Events: []webhooks.Event{ev}}); err != nil {
		t.Fatal(err)
	}
	if err := f.worker.Retry(ctx); err != nil { // nothing due yet (10 s, jittered)
		t.Fatal(err)
	}
	if n := len(r.requests()); n != 1 {
		t.Fatalf("%d requests before the first retry was due", n)
	}
	for range 2 {
		f.clock.Advance(40 * time.Second)
		if err := f.worker.Retry(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := r.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests, want 3", len(got))
	}
	for i, g := range got {
		verify(t, f.app, g)
		if g.header.Get("X-Webhook-Id") != ev.ID || g.header.Get("X-Webhook-Attempt") != string(rune('1'+i)) {
			t.Errorf("request %d: id %s attempt %s", i, g.header.Get("X-Webhook-Id"), g.header.Get("X-Webhook-Attempt"))
		}
		var env struct {
			ID   string
			Type string
		}
		if err := json.Unmarshal(g.body, &env); err != nil || env.ID != ev.ID || env.Type != webhooks.Banned {
			t.Errorf("request %d body %s", i, g.body)
		}
	}
	if p := f.pending(t); len(p) != 0 {
		t.Fatalf("still pending after success: %+v", p)
	}
}

// A receiver that does not answer in 5 s counts as a failure to retry, and the raising side
// never waits for it.
func TestRetryAfterTimeout(t *testing.T) {
	f := newFixture(t, webhooks.Policy{AllowLoopback: true})
	r := newReceiver(t)
	r.delay = webhooks.Timeout + time.Second
	f.configure(t, webhooks.FormatNexconn, r.URL)
	start := time.Now()
	if err := f.worker.Handle(context.Background(), webhooks.Batch{App: f.app.Key, Events: []webhooks.Event{banned(f.clock.Now())}}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > webhooks.Timeout+2*time.Second {
		t.Fatalf("an attempt took %v", took)
	}
	if p := f.pending(t); len(p) != 1 || p[0].Attempts != 1 || p[0].Status != 0 {
		t.Fatalf("pending after a timeout: %+v", p)
	}
}

// Another 4xx goes to the dead-letter store at once, and so does an event still failing after
// 24 hours; replay delivers them with the same id and removes them.
func TestDeadLetterAndReplay(t *testing.T) {
	f := newFixture(t, webhooks.Policy{AllowLoopback: true})
	r := newReceiver(t, 404)
	f.configure(t, webhooks.FormatNexconn, r.URL)
	ctx := context.Background()
	refused := banned(f.clock.Now())
	if err := f.worker.Handle(ctx, webhooks.Batch{App: f.app.Key, Events: []webhooks.Event{refused}}); err != nil {
		t.Fatal(err)
	}
	if d := f.dead(t); len(d) != 1 || d[0].ID != refused.ID || d[0].Status != 404 {
		t.Fatalf("dead letters after a 404: %+v", d)
	}

	r.mu.Lock()
	r.script = []int{500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500}
	r.mu.Unlock()
	failing := banned(f.clock.Now())
	if err := f.worker.Handle(ctx, webhooks.Batch{App: f.app.Key, Events: []webhooks.Event{failing}}); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		f.clock.Advance(time.Hour + 15*time.Minute)
		if err := f.worker.Retry(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p := f.pending(t); len(p) != 0 {
		t.Fatalf("still pending after 24 hours: %+v", p)
	}
	dead := f.dead(t)
	if len(dead) != 2 {
		t.Fatalf("dead letters %+v", dead)
	}
	tries := 0
	for _, d := range dead {
		if d.ID == failing.ID {
			tries = d.Attempts
		}
	}
	if tries < 8 || tries > 30 {
		t.Fatalf("the failing event was tried %d times in 24 hours", tries)
	}

	r.mu.Lock()
	r.script = nil
	r.mu.Unlock()
	before := len(r.requests())
	replay := &webhooks.DeadLetters{Store: f.st, Now: f.clock.Now}
	n, err := replay.Replay(ctx, f.app.Key)
	if err != nil || n != 2 {
		t.Fatalf("replay = %d, %v", n, err)
	}
	if err := f.worker.Retry(ctx); err != nil { // the schedule's next run
		t.Fatal(err)
	}
	attempts := map[string]string{}
	for _, g := range r.requests()[before:] {
		verify(t, f.app, g)
		attempts[g.header.Get("X-Webhook-Id")] = g.header.Get("X-Webhook-Attempt")
	}
	if attempts[refused.ID] != "2" || attempts[failing.ID] != strconv.Itoa(tries+1) || len(attempts) != 2 {
		t.Fatalf("replayed attempts %v", attempts)
	}
	if d := f.dead(t); len(d) != 0 {
		t.Fatalf("dead letters after replay: %+v", d)
	}
}

// No URL, no request; in AWS a name or literal that leads to loopback is refused before any
// byte is sent.
func TestNoDeliveryWithoutURLOrToInternalAddresses(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, webhooks.Policy{AllowLoopback: true})
	r := newReceiver(t)
	if err := f.worker.Handle(ctx, webhooks.Batch{App: f.app.Key, Events: []webhooks.Event{banned(f.clock.Now())}}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.requests()); n != 0 {
		t.Fatalf("%d requests with no URL set", n)
	}

	aws := newFixture(t, webhooks.Policy{})
	u, _ := url.Parse(r.URL)
	aws.configure(t, webhooks.FormatNexconn, "http://localhost:"+u.Port()+"/hook")
	if err := aws.worker.Handle(ctx, webhooks.Batch{App: aws.app.Key, Events: []webhooks.Event{banned(aws.clock.Now())}}); err != nil {
		t.Fatal(err)
	}
	if n := len(r.requests()); n != 0 {
		t.Fatalf("%d requests reached loopback under the AWS policy", n)
	}
	if p := aws.pending(t); len(p) != 1 {
		t.Fatalf("a refused address is not kept for retry: %+v", p)
	}
}

// Events a call could not hand to the delivery function are kept due at once: the schedule's
// next run makes their first attempt, as Handle would have.
func TestKeptEventsReachTheReceiverOnTheNextRun(t *testing.T) {
	f := newFixture(t, webhooks.Policy{AllowLoopback: true})
	r := newReceiver(t)
	f.configure(t, webhooks.FormatNexconn, r.URL+"/hook")
	ctx := context.Background()
	evs := []webhooks.Event{banned(f.clock.Now()), banned(f.clock.Now())}
	keeper := &webhooks.Keeper{Store: f.st, Now: f.clock.Now}
	if err := keeper.Keep(ctx, f.app.Key, evs); err != nil {
		t.Fatal(err)
	}
	if p := f.pending(t); len(p) != 2 || p[0].Due > f.clock.Now().UnixMilli() || p[1].Due > f.clock.Now().UnixMilli() {
		t.Fatalf("kept %+v, want both events due now", p)
	}
	if err := f.worker.Retry(ctx); err != nil {
		t.Fatal(err)
	}
	got := r.requests()
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	ids := map[string]bool{}
	for _, g := range got {
		verify(t, f.app, g)
		if g.header.Get("X-Webhook-Attempt") != "1" {
			t.Errorf("a kept event's first attempt is numbered %s", g.header.Get("X-Webhook-Attempt"))
		}
		ids[g.header.Get("X-Webhook-Id")] = true
	}
	if !ids[evs[0].ID] || !ids[evs[1].ID] {
		t.Errorf("delivered ids %v, want %s and %s", ids, evs[0].ID, evs[1].ID)
	}
	if p := f.pending(t); len(p) != 0 {
		t.Fatalf("still pending after delivery: %+v", p)
	}

	// A kept connection event starts the watch of its connection on that run.
	opened := webhooks.New(webhooks.ConnectionStatus, webhooks.Data{UserID: "alice", Status: "0", SessionID: "c1", Time: f.clock.Now().UnixMilli()})
	if err := keeper.Keep(ctx, f.app.Key, []webhooks.Event{opened}); err != nil {
		t.Fatal(err)
	}
	if err := f.worker.Retry(ctx); err != nil {
		t.Fatal(err)
	}
	watches, err := f.st.DueConnWatches(ctx, f.clock.Now().Add(48*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(watches) != 1 || watches[0].Conn != "c1" || watches[0].User != "alice" {
		t.Fatalf("watches %+v, want the kept connection's", watches)
	}
}
