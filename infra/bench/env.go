package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"imusers/infra/gateway"
	"imusers/infra/local/localenv"
	"imusers/shared/apps"

	"imusers/shared/assembly"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/domain/users"
	"imusers/shared/routes"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/wire/signature"
)

// env is the whole service on loopback, built the way the local twin builds it, with the
// measuring wrappers between the service and DynamoDB:
// service → store.Counter (round trips) → meter (capacity, time) → DynamoDB client → dynalite;
// the Management API and Lambda clients go through the meter's timers too.
type env struct {
	root     string
	dynamo   string           // dynalite URL
	raw      *dynamodb.Client // the service's SDK client, unmetered
	table    string
	meter    *meter
	calls    *store.Counter
	fixtures *store.Store // the raw client, for setting up state without counting it
	svc      *assembly.Service
	url      string // the local gateway
	gw       *gateway.Gateway
	// throttleOff: the gateway's route throttling was switched off for the run.
	throttleOff bool
	// dynalitePid is dynalite's process, when this run started it (0 when it runs elsewhere).
	dynalitePid int
	base        apps.App   // production app of the baseline and the cold-start events
	apps        []apps.App // one per request of newEnv, each measurement's own
	erasures    *erasureQueue
	queueURL    string // where the service's asynchronous Lambda invocations go
	// receiver is an app's webhook receiver on loopback, answering 200 to every event;
	// receivedN counts what it received.
	receiver  string
	receivedN atomic.Int64
	http      *http.Client
	// exchanged is the last check's HTTP exchange, which is what a measured call's latency is:
	// building and signing the request before it and decoding the answer after it are the
	// client's work, not the service's.
	exchanged httpExchange
	stop      []func()
}

// httpExchange is one HTTP request and answer: from sending the request to having read the whole
// answer, and the bytes of both bodies.
type httpExchange struct {
	took  time.Duration
	bytes int
}

func (e *env) close() {
	for i := len(e.stop) - 1; i >= 0; i-- {
		e.stop[i]()
	}
}

// newEnv starts the stack with one app per entry of envs (each scenario and load target gets an
// app to itself, so the state one builds never changes what another measures).
func newEnv(ctx context.Context, root string, envs []apps.Environment) (*env, error) {
	e := &env{root: root}
	ok := false
	defer func() {
		if !ok {
			e.close()
		}
	}()
	e.dynamo = os.Getenv("IM_TEST_DYNAMODB")
	if e.dynamo == "" {
		d, err := localenv.StartDynalite(ctx, localenv.DynaliteOptions{Root: root, CPUs: os.Getenv(dynaliteCPUsEnv)})
		if err != nil {
			return nil, err
		}
		e.dynamo, e.dynalitePid = d.URL, d.Pid()
		e.stop = append(e.stop, d.Stop)
	}
	e.raw = localenv.Client(e.dynamo)
	e.table = "bench-" + randomID()
	if _, err := localenv.EnsureTable(ctx, e.raw, e.table); err != nil {
		return nil, err
	}
	newApp := func(env apps.Environment) apps.App {
		if env == "" {
			env = apps.Production
		}
		return apps.App{Key: "bench-" + randomID(), Secret: "secret-" + randomID(), Environment: env}
	}
	e.base = newApp(apps.Production)
	for _, env := range envs {
		e.apps = append(e.apps, newApp(env))
	}
	reg, err := apps.NewRegistry(append([]apps.App{e.base}, e.apps...))
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
	// Message sends keep the app's settings as deployed (IM_SETTINGS_MAX_AGE_SECONDS' default).
	// Webhooks may go to the receiver on loopback, as on the local stack.
	cfg := service.Config{Table: e.table, SignatureWindow: 5 * time.Minute, EraseFunction: "eraseUsers", SettingsMaxAge: 10 * time.Second,
		WebhookFunction: webhookFunction, WebhookAllowLoopback: true}

	// Asynchronous erasure goes to a queue of its own and runs between measurements: run at
	// once, its DynamoDB traffic would land inside the timing of whatever is measured next.
	worker := assembly.New(cfg, assembly.Deps{Apps: reg, DB: e.raw, Log: quiet})
	e.erasures = &erasureQueue{worker: worker}
	qURL, stop, err := serve(e.erasures)
	if err != nil {
		return nil, err
	}
	e.queueURL = qURL
	e.stop = append(e.stop, stop)
	if e.receiver, stop, err = serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		e.receivedN.Add(1)
	})); err != nil {
		return nil, err
	}
	e.stop = append(e.stop, stop)

	e.meter = &meter{DB: e.raw}
	e.calls = &store.Counter{DB: e.meter}
	e.fixtures = store.New(e.raw, e.table)
	lam := lambdainvoke.New(aws.Config{
		Region: localenv.Region, Credentials: localenv.Credentials(), HTTPClient: localenv.HTTPClient(),
	}, func(o *lambda.Options) { o.BaseEndpoint = aws.String(qURL) })
	// The gateway's address must be known before the service is built: kicks reach client
	// connections through its @connections endpoint, with the Management API client used in AWS.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.url = "http://" + l.Addr().String()
	e.erasures.forwardTo(e.url)
	cfg.ManagementEndpoint = e.url
	mgmt := connections.NewClient(aws.Config{
		Region: localenv.Region, Credentials: localenv.Credentials(), HTTPClient: localenv.HTTPClient(),
	}, e.url)
	e.svc = assembly.New(cfg, assembly.Deps{Apps: reg, DB: e.calls, Log: quiet,
		Lambda: meteredInvoker{lam, e.meter}, Connections: meteredConnections{mgmt, e.meter}})
	if e.gw, err = gateway.New(e.svc); err != nil {
		l.Close()
		return nil, err
	}
	// The gateway throttles each route to the platform's limits, as API Gateway does; measured
	// through it, the calls the benchmark makes one after another would already meet the throttle
	// instead of the service. The report sets the load it finds beside those limits instead.
	e.gw.SetRateLimits(false)
	e.throttleOff = true
	stop = serveOn(l, e.gw)
	e.stop = append(e.stop, func() { e.gw.CloseConnections(); e.gw.Wait() }, stop)
	e.http = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	ok = true
	return e, nil
}

// serve runs h on a free loopback port.
func serve(h http.Handler) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	return "http://" + l.Addr().String(), serveOn(l, h), nil
}

func serveOn(l net.Listener, h http.Handler) (stop func()) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	// Close, not Shutdown: idle keep-alive connections of the load generator would hold a
	// graceful shutdown for its whole timeout, and nothing is in flight by now.
	return func() { _ = srv.Close() }
}

// waitTCP waits until something accepts connections at the URL's host:port.
func waitTCP(rawURL string, limit time.Duration) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", u.Host, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not accept connections within %s: %w", u.Host, limit, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// webhookFunction is the delivery function's name, as deployed.
const webhookFunction = "webhookDeliver"

// erasureQueue stands in for Lambda's asynchronous invocation of the erasure function: it
// accepts the Invoke call as Lambda does (202) and holds the job until drain runs it. The
// webhook events calls raise are accepted the same way and not run: a delivery is measured on
// its own (the webhookDeliver scenario). Synchronous invocations (the $default route forwarding
// a request to an operation) go on to the gateway's Invoke endpoint, which runs the function at
// once.
type erasureQueue struct {
	worker *assembly.Service
	mu     sync.Mutex
	jobs   []users.Erasure
	sync   http.Handler
}

func (q *erasureQueue) forwardTo(gateway string) {
	u, err := url.Parse(gateway)
	if err != nil {
		return
	}
	q.mu.Lock()
	q.sync = httputil.NewSingleHostReverseProxy(u)
	q.mu.Unlock()
}

func (q *erasureQueue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Invocation-Type") != "Event" {
		q.mu.Lock()
		fwd := q.sync
		q.mu.Unlock()
		if fwd != nil {
			fwd.ServeHTTP(w, r)
			return
		}
	}
	if r.URL.Path == "/2015-03-31/functions/"+webhookFunction+"/invocations" {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	var job users.Erasure
	if err := json.NewDecoder(r.Body).Decode(&job); err != nil || r.Header.Get("X-Amz-Invocation-Type") != "Event" {
		http.Error(w, `{"message":"only asynchronous erasure jobs are queued here"}`, http.StatusBadRequest)
		return
	}
	q.mu.Lock()
	q.jobs = append(q.jobs, job)
	q.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// drain runs every queued job to the end, so the table is in the state the product would
// leave it in before the next measurement starts.
func (q *erasureQueue) drain(ctx context.Context) error {
	for {
		q.mu.Lock()
		jobs := q.jobs
		q.jobs = nil
		q.mu.Unlock()
		if len(jobs) == 0 {
			return nil
		}
		for _, j := range jobs {
			jctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			err := q.worker.Erasure.Handle(jctx, j)
			cancel()
			if err != nil {
				return fmt.Errorf("erasure job %s: %w", j.OperateID, err)
			}
		}
	}
}

// apiError is an answer other than HTTP 200 with code 200.
type apiError struct {
	status int
	body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s", e.status, e.body) }

// signedRequest builds a Server API call as the official SDKs send it: a form body and fresh
// App-Key, Nonce, Timestamp and Signature headers.
func signedRequest(ctx context.Context, base string, app apps.App, path string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header = signedHeaders(app)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

func signedHeaders(app apps.App) http.Header {
	ts := fmt.Sprint(time.Now().Unix())
	nonce := randomID()
	return http.Header{
		"App-Key":   {app.Key},
		"Nonce":     {nonce},
		"Timestamp": {ts},
		"Signature": {signature.Sign(app.Secret, nonce, ts)},
	}
}

// post calls a route of the Server API and decodes a successful answer.
func (e *env) post(ctx context.Context, app apps.App, route string, form url.Values) (map[string]any, error) {
	r, ok := routes.ByName(route)
	if !ok {
		return nil, fmt.Errorf("no route %q", route)
	}
	req, err := signedRequest(ctx, e.url, app, r.Path, form)
	if err != nil {
		return nil, err
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (map[string]any, error) {
	res, err := e.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(bufio.NewReader(res.Body))
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		return nil, &apiError{res.StatusCode, string(raw)}
	}
	if code, _ := out["code"].(float64); code != 200 {
		return nil, &apiError{res.StatusCode, string(raw)}
	}
	return out, nil
}

// check sends a request and reads its answer as a client that only needs the code does: a
// measured call should not be charged for the benchmark decoding every field of a large answer
// into maps, which is the client's work, not the service's.
func (e *env) check(req *http.Request) error {
	start := time.Now()
	res, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	e.exchanged = httpExchange{took: time.Since(start), bytes: int(max(0, req.ContentLength)) + len(raw)}
	var out struct {
		Code int `json:"code"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.Code != 200 {
		return &apiError{res.StatusCode, string(raw)}
	}
	return nil
}

// register makes (or re-registers) a user and returns its token.
func (e *env) register(ctx context.Context, app apps.App, user string) (string, error) {
	out, err := e.post(ctx, app, "userGetToken", url.Values{"userId": {user}, "name": {"Bench " + user}, "portraitUri": {"https://img.example/" + user}})
	if err != nil {
		return "", fmt.Errorf("register %s: %w", user, err)
	}
	tok, _ := out["token"].(string)
	return tok, nil
}

// useReceiver points the app's webhooks at the receiver, in the format that carries every event.
func (e *env) useReceiver(ctx context.Context, app apps.App) error {
	_, err := e.post(ctx, app, "appSettingSet", url.Values{"webhookUrl": {e.receiver + "/hook"}, "webhookFormat": {"nexconn"}})
	return err
}

// received is a step whose call must deliver exactly one request to the receiver.
func (e *env) received(run func(context.Context, int) error) step {
	return step{run: func(ctx context.Context, i int) error {
		before := e.receivedN.Load()
		if err := run(ctx, i); err != nil {
			return err
		}
		if n := e.receivedN.Load() - before; n != 1 {
			return fmt.Errorf("the receiver got %d requests, want 1", n)
		}
		return nil
	}}
}
