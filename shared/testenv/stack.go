package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"imusers/infra/gateway"
	"imusers/shared/apps"
	"imusers/shared/assembly"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv/v4client"
	"imusers/shared/wire/signature"
)

// Clock is a clock tests can move forward, so time-based rules (bans, windows) are tested
// without waiting.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the real time plus what the test has advanced.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Stack is the whole service running locally: dynalite, a fresh table, the service and the
// local gateway on a loopback port.
type Stack struct {
	URL     string
	Apps    []apps.App
	Service *assembly.Service
	Gateway *gateway.Gateway
	Calls   *store.Counter
	Clock   *Clock
	Table   string
}

// NewApp makes an app with a random key and secret.
func NewApp(env apps.Environment) apps.App {
	return apps.App{Key: "app-" + RandomID(), Secret: "secret-" + RandomID(), Environment: env}
}

// StartStack runs the service over a fresh table for the apps given (one development app when
// none is), and stops it when the test ends.
func StartStack(t testing.TB, list ...apps.App) *Stack {
	t.Helper()
	return StartStackWith(t, Options{Apps: list})
}

// Options shape a stack beyond its apps.
type Options struct {
	Apps []apps.App
	// DB is the DynamoDB client the service uses (one through a fault proxy, say); the table
	// is created on dynalite directly either way. Client(t) when nil.
	DB store.DB
	// Configure changes the service's configuration before the service is built.
	Configure func(*service.Config)
	// Log receives the service's JSON log lines (discarded when nil).
	Log io.Writer
	// ConfigureGateway changes the local gateway before it serves (shorter connection limits).
	ConfigureGateway func(*gateway.Gateway)
	// RateLimits keeps the gateway's route throttling on. It is off otherwise: tests that are
	// not about it send bursts no single App Server would, and would fail by chance.
	RateLimits bool
}

// StartStackWith is StartStack with Options.
func StartStackWith(t testing.TB, o Options) *Stack {
	t.Helper()
	list := o.Apps
	if len(list) == 0 {
		list = []apps.App{NewApp(apps.Development)}
	}
	reg, err := apps.NewRegistry(list)
	if err != nil {
		t.Fatal(err)
	}
	table := NewTable(t, Client(t))
	db := o.DB
	if db == nil {
		db = Client(t)
	}
	logTo := o.Log
	if logTo == nil {
		logTo = io.Discard
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String()
	// Erasure and the $default route reach the stack's functions through its own Invoke
	// endpoint, with the Lambda client used in AWS.
	lam := lambdainvoke.New(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, func(o *lambda.Options) { o.BaseEndpoint = aws.String(base) })
	// Each function's AWS calls are held to its route's actions, as its IAM role holds them in
	// AWS (the Lambda and Management API clients below too).
	calls := &store.Counter{DB: gateway.PolicedDB(db)}
	clock := &Clock{}
	cfg := service.Config{Table: table, SignatureWindow: 5 * time.Minute, EraseFunction: "eraseUsers", ManagementEndpoint: base,
		WebhookFunction: "webhookDeliver", WebhookAllowLoopback: true}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	// The service reaches client connections through the stack's own @connections endpoint,
	// with the same Management API client it uses in AWS.
	mgmt := connections.NewClient(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}, cfg.ManagementEndpoint)
	svc := assembly.New(cfg, assembly.Deps{Apps: reg, DB: calls, Lambda: gateway.PolicedLambda(lam), Connections: gateway.PolicedConnections(mgmt), Now: clock.Now, Log: slog.New(slog.NewJSONHandler(logTo, nil))})
	gw, err := gateway.New(svc)
	if err != nil {
		t.Fatal(err)
	}
	gw.SetRateLimits(o.RateLimits)
	if o.ConfigureGateway != nil {
		o.ConfigureGateway(gw)
	}
	srv := &http.Server{Handler: gw, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() {
		gw.CloseConnections()
		gw.Wait()
		// Nothing is in flight any more; Shutdown would wait five seconds for any connection a
		// client's pool opened and never used.
		srv.Close()
	})
	return &Stack{URL: base, Apps: list, Service: svc, Gateway: gw, Calls: calls, Clock: clock, Table: table}
}

// APIClient calls the Server API the way the official server SDKs do: form bodies, signed
// App-Key/Nonce/Timestamp/Signature headers.
type APIClient struct {
	BaseURL string
	App     apps.App
	// Millis signs with a millisecond Timestamp (newer SDKs); seconds otherwise.
	Millis bool
	// Prefix is put before every signed header name ("RC-" for the prefixed form).
	Prefix string
	// Now gives the signing time (time.Now when nil).
	Now  func() time.Time
	HTTP *http.Client
}

// Client returns a signing client for the stack's i-th app. It signs with the stack's clock, so
// requests stay inside the signature window when a test moves the clock.
func (s *Stack) Client(i int) *APIClient {
	return &APIClient{BaseURL: s.URL, App: s.Apps[i], Now: s.Clock.Now, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// V4 returns a typed v4 client for the stack's i-th app, signing with the stack's clock.
func (s *Stack) V4(i int) *v4client.Client {
	return &v4client.Client{BaseURL: s.URL, App: s.Apps[i], Now: s.Clock.Now, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Response is a decoded answer.
type Response struct {
	Status int
	Body   map[string]any
	Raw    string
	Header http.Header
}

// Code is the body's "code" field (-1 when missing or not a number).
func (r Response) Code() int {
	if f, ok := r.Body["code"].(float64); ok {
		return int(f)
	}
	return -1
}

// Post sends form to path, signed, and decodes the JSON answer. form is either url.Values or
// a raw body string.
func (c *APIClient) Post(t testing.TB, path string, form any, extra ...string) Response {
	t.Helper()
	var body string
	switch f := form.(type) {
	case url.Values:
		body = f.Encode()
	case string:
		body = f
	case nil:
	default:
		t.Fatalf("form must be url.Values or string, got %T", form)
	}
	req, err := http.NewRequest(http.MethodPost, c.BaseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range c.SignedHeaders() {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	return Do(t, c.HTTP, req)
}

// SignedHeaders returns a fresh set of signature headers.
func (c *APIClient) SignedHeaders() map[string]string {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	ts := fmt.Sprint(now.Unix())
	if c.Millis {
		ts = fmt.Sprint(now.UnixMilli())
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	return map[string]string{
		c.Prefix + "App-Key":   c.App.Key,
		c.Prefix + "Nonce":     nonce,
		c.Prefix + "Timestamp": ts,
		c.Prefix + "Signature": signature.Sign(c.App.Secret, nonce, ts),
	}
}

// Do sends a request and decodes its JSON answer.
func Do(t testing.TB, hc *http.Client, req *http.Request) Response {
	t.Helper()
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := Response{Status: res.StatusCode, Raw: string(raw), Header: res.Header}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %q", req.Method, req.URL, raw)
	}
	return out
}

// MustOK posts and fails the test unless the answer is HTTP 200 with code 200.
func (c *APIClient) MustOK(t testing.TB, path string, form any) Response {
	t.Helper()
	r := c.Post(t, path, form)
	if r.Status != http.StatusOK || r.Code() != 200 {
		t.Fatalf("%s: got HTTP %d %s", path, r.Status, r.Raw)
	}
	return r
}

// Form builds a form body from name, value pairs.
func Form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// Register registers user (named "Name of <user>") and returns its token.
func (c *APIClient) Register(t testing.TB, user string) string {
	t.Helper()
	r := c.MustOK(t, "/user/getToken.json", Form("userId", user, "name", "Name of "+user))
	tok, _ := r.Body["token"].(string)
	if tok == "" {
		t.Fatalf("no token for %s: %s", user, r.Raw)
	}
	return tok
}

// Expect posts and stops the test unless the answer has this HTTP status and code; an error
// answer must also carry a message.
func (c *APIClient) Expect(t testing.TB, path string, form any, status, code int) Response {
	t.Helper()
	r := c.Post(t, path, form)
	if r.Status != status || r.Code() != code {
		t.Fatalf("%s %v: got HTTP %d %s, want HTTP %d code %d", path, form, r.Status, r.Raw, status, code)
	}
	if msg, _ := r.Body["errorMessage"].(string); code != 200 && msg == "" {
		t.Fatalf("%s: error without errorMessage: %s", path, r.Raw)
	}
	return r
}

// SyncBuffer collects output written from many goroutines or processes (log lines, say).
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tick runs a scheduled function once, as its schedule (EventBridge) would, through the stack's
// Lambda Invoke endpoint, and waits for what it started to end.
func (s *Stack) Tick(t testing.TB, function string) {
	t.Helper()
	ev := `{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-01T00:00:00Z","detail":{}}`
	resp, err := http.Post(s.URL+"/2015-03-31/functions/"+function+"/invocations", "application/json", strings.NewReader(ev))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Amz-Function-Error") != "" {
		t.Fatalf("%s on schedule: HTTP %d, %s", function, resp.StatusCode, resp.Header.Get("X-Amz-Function-Error"))
	}
	s.Gateway.Wait()
}
