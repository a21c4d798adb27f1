package lambdaapp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/testenv"
	"imusers/shared/wire/signature"
)

// The benchmarks below are the two Server API calls that answer with the most items: the
// whole function as the Lambda runtime calls it, event bytes in and response bytes out
// (aws-lambda-go's handler, the form and signature checks, the operation, the store turning
// DynamoDB's items into answers, the JSON answer and the log line). DynamoDB's answer is the
// one dynalite gave for the same call, replayed from memory, so what is timed is the
// function's own work and nothing else: what `make bench` charges to the service per call.
//
//	go test -run '^$' -bench . -cpuprofile cpu.out ./shared/lambdaapp
//
// To compare two versions on a busy machine, run both in turn several times and compare the
// medians of cpu-ns/op as well as of ns/op.

// BenchmarkCheckOnlineBatch: /user/checkOnline/batch.json with 100 userIds, 10 of them online;
// one BatchGetItem, 100 statuses out.
func BenchmarkCheckOnlineBatch(b *testing.B) {
	r := newReplay(b)
	ids := make([]string, 100)
	c := r.stack.Client(0)
	now := r.stack.Clock.Now().UnixMilli()
	for i := range ids {
		ids[i] = fmt.Sprintf("many-%d", i)
		c.Register(b, ids[i])
		if i < 10 {
			if err := r.stack.Service.Store.Connect(context.Background(), r.app.Key, ids[i], fmt.Sprintf("conn-%d", i), now); err != nil {
				b.Fatal(err)
			}
		}
	}
	check := func(body map[string]any) error {
		users, _ := body["users"].([]any)
		if len(users) != len(ids) {
			return fmt.Errorf("%d users in the answer, want %d", len(users), len(ids))
		}
		for i, u := range users {
			want := map[string]any{"userId": ids[i], "status": "0"}
			if i < 10 {
				want["status"] = "1"
			}
			if fmt.Sprint(u) != fmt.Sprint(want) {
				return fmt.Errorf("users[%d] = %v, want %v", i, u, want)
			}
		}
		return nil
	}
	r.run(b, "userCheckOnlineBatch", "/user/checkOnline/batch.json", url.Values{"userId": {strings.Join(ids, ",")}}, check)
}

// BenchmarkFriendGet: /friend/get.json, the first page of 50 of 60 friends; one Query, 50
// friends out.
func BenchmarkFriendGet(b *testing.B) {
	r := newReplay(b)
	c := r.stack.Client(0)
	friends := make([]string, 60)
	c.Register(b, "owner")
	for i := range friends {
		friends[i] = fmt.Sprintf("f-%04d", i)
		c.Register(b, friends[i])
		c.MustOK(b, "/friend/add.json", testenv.Form("userId", "owner", "targetId", friends[i], "optType", "1"))
	}
	check := func(body map[string]any) error {
		if body["totalCount"] != 60.0 {
			return fmt.Errorf("totalCount = %v, want 60", body["totalCount"])
		}
		if tok, _ := body["pageToken"].(string); tok == "" {
			return errors.New("no pageToken on a page that has a next one")
		}
		list, _ := body["friendList"].([]any)
		if len(list) != 50 {
			return fmt.Errorf("%d friends in the answer, want 50", len(list))
		}
		for i, f := range list {
			m, _ := f.(map[string]any)
			if m["userId"] != friends[i] || m["name"] != "Name of "+friends[i] || m["remarkName"] != "" || m["friendExtProfile"] != "" {
				return fmt.Errorf("friendList[%d] = %v", i, f)
			}
			if at, _ := m["time"].(float64); at <= 0 {
				return fmt.Errorf("friendList[%d] has no time: %v", i, f)
			}
		}
		return nil
	}
	r.run(b, "friendGet", "/friend/get.json", url.Values{"userId": {"owner"}, "size": {"50"}}, check)
}

// BenchmarkInfo: /user/info.json, one GetItem and a small answer: the call whose gateway
// translation the bench report measures and takes out of every call through the gateway.
func BenchmarkInfo(b *testing.B) {
	r := newReplay(b)
	r.stack.Client(0).Register(b, "baseline")
	check := func(body map[string]any) error {
		if body["userName"] != "Name of baseline" {
			return fmt.Errorf("userName = %v", body["userName"])
		}
		return nil
	}
	r.run(b, "userInfo", "/user/info.json", url.Values{"userId": {"baseline"}}, check)
}

// replay is a stack on dynalite whose DynamoDB answers to the measured call are recorded once
// and then served from memory.
type replay struct {
	stack *testenv.Stack
	app   apps.App
	db    *replayDB
}

func newReplay(b *testing.B) *replay {
	b.Helper()
	app := testenv.NewApp(apps.Production)
	db := &replayDB{DB: testenv.Client(b)}
	return &replay{stack: testenv.StartStackWith(b, testenv.Options{Apps: []apps.App{app}, DB: db}), app: app, db: db}
}

// run times the function of route answering one signed request with form, after checking
// its answer once against dynalite's data (check). "function" is the Lambda handler alone, as
// in AWS; "gateway" is the same call through the local gateway's ServeHTTP, whose extra time
// is the gateway's translation that the bench report takes out (measured there with userInfo).
func (r *replay) run(b *testing.B, route, path string, form url.Values, check func(map[string]any) error) {
	b.Helper()
	fn, err := r.stack.Service.Handler(route)
	if err != nil {
		b.Fatal(err)
	}
	h := lambda.NewHandler(fn) // once, as the runtime does at cold start
	payload, headers := r.event(b, path, form)
	ctx := context.Background()
	r.db.recording = true
	live, err := h.Invoke(ctx, payload)
	r.db.recording = false
	if err != nil {
		b.Fatal(err)
	}
	if err := checkResponse(live, check); err != nil {
		b.Fatalf("against dynalite: %v", err)
	}
	want := bytes.Clone(live)
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(want, &resp); err != nil {
		b.Fatal(err)
	}
	r.db.replaying = true
	b.Cleanup(func() { r.db.replaying = false })

	b.Run("function", func(b *testing.B) {
		r.stack.Calls.Reset()
		b.ReportAllocs()
		n := 0
		defer reportCPU(b, &n)()
		for b.Loop() {
			out, err := h.Invoke(ctx, payload)
			if err != nil {
				b.Fatal(err)
			}
			if !bytes.Equal(out, want) {
				if err := checkResponse(out, check); err != nil {
					b.Fatalf("replayed: %v", err)
				}
				b.Fatalf("the answer changed between calls:\n%s\n%s", want, out)
			}
			n++
		}
		r.checkCalls(b, n)
	})
	b.Run("gateway", func(b *testing.B) {
		body := form.Encode()
		req := httptest.NewRequest(http.MethodPost, path, nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		r.stack.Calls.Reset()
		b.ReportAllocs()
		n := 0
		defer reportCPU(b, &n)()
		for b.Loop() {
			req.Body = io.NopCloser(strings.NewReader(body))
			rec := httptest.NewRecorder()
			r.stack.Gateway.ServeHTTP(rec, req)
			if rec.Code != resp.StatusCode || string(rec.Body.Bytes()) != resp.Body {
				b.Fatalf("through the gateway: HTTP %d %s", rec.Code, rec.Body)
			}
			n++
		}
		r.checkCalls(b, n)
	})
}

// reportCPU reports the process's CPU time per request (cpu-ns/op) from now until the
// returned func runs: on a shared machine it moves less than the time the requests took,
// which counts whatever else ran meanwhile. Nothing but the timed requests runs in this
// process while they do (the gateway's servers wait and DynamoDB's answers are replayed), so
// this is their CPU time, the garbage collector's included.
func reportCPU(b *testing.B, n *int) func() {
	start := processCPU()
	return func() {
		if used := processCPU() - start; start >= 0 && *n > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(*n), "cpu-ns/op")
		}
	}
}

// checkCalls fails unless n requests made one DynamoDB call each.
func (r *replay) checkCalls(b *testing.B, n int) {
	b.Helper()
	if calls := r.stack.Calls.Calls().Total(); calls != int64(n) {
		b.Fatalf("%d DynamoDB calls in %d requests, want one each", calls, n)
	}
}

// event is the payload-2.0 event API Gateway sends for a signed form POST: lowercased headers,
// the form body base64-encoded (API Gateway treats it as binary), the request context.
func (r *replay) event(b *testing.B, path string, form url.Values) ([]byte, map[string]string) {
	b.Helper()
	now := r.stack.Clock.Now()
	ts := fmt.Sprint(now.Unix())
	nonce := testenv.RandomID()
	body := form.Encode()
	routeKey := "POST " + path
	signed := map[string]string{
		"content-type": "application/x-www-form-urlencoded", "user-agent": "rc-server-sdk-java/3.4.0",
		"app-key": r.app.Key, "nonce": nonce, "timestamp": ts, "signature": signature.Sign(r.app.Secret, nonce, ts),
	}
	headers := map[string]string{
		"accept-encoding": "gzip", "content-length": fmt.Sprint(len(body)),
		"host": "abcdef1234.execute-api.us-east-1.amazonaws.com", "x-amzn-trace-id": "Root=1-67890abc-0123456789abcdef01234567",
		"x-forwarded-for": "203.0.113.7", "x-forwarded-port": "443", "x-forwarded-proto": "https",
	}
	maps.Copy(headers, signed)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: routeKey, RawPath: path,
		Headers: headers,
		Body:    base64.StdEncoding.EncodeToString([]byte(body)), IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "abcdef1234", DomainName: "abcdef1234.execute-api.us-east-1.amazonaws.com",
			DomainPrefix: "abcdef1234", RequestID: "JKJaXmPLvHcESHA=", RouteKey: routeKey, Stage: "$default",
			Time: now.UTC().Format("02/Jan/2006:15:04:05 -0700"), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "POST", Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.7", UserAgent: "rc-server-sdk-java/3.4.0",
			},
		},
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	return payload, signed
}

// checkResponse reads a Lambda response as API Gateway does and checks its body.
func checkResponse(out []byte, check func(map[string]any) error) error {
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return fmt.Errorf("response is not a payload-2.0 response: %v: %s", err, out)
	}
	if resp.StatusCode != 200 || resp.IsBase64Encoded || !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") {
		return fmt.Errorf("response: %s", out)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		return fmt.Errorf("body is not JSON: %v: %s", err, resp.Body)
	}
	if body["code"] != 200.0 {
		return fmt.Errorf("body: %s", resp.Body)
	}
	return check(body)
}

// replayDB passes calls through to dynalite; the answers of the measured call's read are kept
// while recording and given back, without any I/O, while replaying.
type replayDB struct {
	store.DB
	recording, replaying bool
	getItem              *dynamodb.GetItemOutput
	batchGet             *dynamodb.BatchGetItemOutput
	query                *dynamodb.QueryOutput
}

var errNotRecorded = errors.New("replaying a DynamoDB call that was not recorded")

func (d *replayDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if d.replaying {
		if d.batchGet == nil {
			return nil, errNotRecorded
		}
		return d.batchGet, nil
	}
	out, err := d.DB.BatchGetItem(ctx, in, optFns...)
	if d.recording {
		d.batchGet = out
	}
	return out, err
}

func (d *replayDB) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if d.replaying {
		if d.query == nil {
			return nil, errNotRecorded
		}
		return d.query, nil
	}
	out, err := d.DB.Query(ctx, in, optFns...)
	if d.recording {
		d.query = out
	}
	return out, err
}

func (d *replayDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if d.replaying {
		if d.getItem == nil {
			return nil, errNotRecorded
		}
		return d.getItem, nil
	}
	out, err := d.DB.GetItem(ctx, in, optFns...)
	if d.recording {
		d.getItem = out
	}
	return out, err
}
