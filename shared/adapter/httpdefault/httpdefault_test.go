package httpdefault

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/shared/adapter/httpevent"
	"imusers/shared/adapter/httpevent/httpeventtest"
)

const (
	appKey    = "test-app"
	appSecret = "test-secret-value"
)

type netTimeout struct{}

func (netTimeout) Error() string   { return "dial tcp 10.0.0.1:443: i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

// invocation is one call of the fake Lambda.
type invocation struct {
	Function string
	Async    bool
	Payload  []byte
	// Attempts is how many attempts the call's options leave the client's retryer.
	Attempts int
}

// fakeLambda records invocations and answers them with answer.
type fakeLambda struct {
	mu     sync.Mutex
	calls  []invocation
	ctxs   []context.Context
	answer func(invocation) (*lambda.InvokeOutput, error)
}

func (l *fakeLambda) Invoke(ctx context.Context, call *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	o := lambda.Options{Retryer: retry.NewStandard()}
	for _, f := range optFns {
		f(&o)
	}
	in := invocation{aws.ToString(call.FunctionName), call.InvocationType == types.InvocationTypeEvent, call.Payload, o.Retryer.MaxAttempts()}
	l.mu.Lock()
	l.calls, l.ctxs = append(l.calls, in), append(l.ctxs, ctx)
	l.mu.Unlock()
	return l.answer(in)
}

// answerWith answers every invocation with payload.
func answerWith(payload string) func(invocation) (*lambda.InvokeOutput, error) {
	return func(invocation) (*lambda.InvokeOutput, error) {
		return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(payload)}, nil
	}
}

// testRoutes stands in for the route table.
var testRoutes = map[string]string{
	"/user/info.json":             "userInfo",
	"/user/deactivate/query.json": "userDeactivateQuery",
	"/user/blacklist/add.json":    "userBlacklistAdd",
	"/user/blocklist/add.json":    "userBlacklistAdd",
}

func newFallback(l Invoker, logTo io.Writer) *Fallback {
	return &Fallback{
		Lookup:    func(p string) (string, bool) { name, ok := testRoutes[p]; return name, ok },
		Functions: l,
		Prefix:    "stack-",
		Log:       slog.New(slog.NewJSONHandler(logTo, nil)),
	}
}

// defaultEvent is what API Gateway sends the $default route for a signed POST to raw.
func defaultEvent(method, raw string) Event {
	ev := httpeventtest.Signed(appKey, appSecret, time.Now(), "userId=alice")
	ev.Version = "2.0"
	ev.RouteKey = Route
	ev.RawPath = raw
	ev.RawQueryString = "a=1"
	ev.Headers["x-request-id"] = "req-7"
	ev.RequestContext.RouteKey = Route
	ev.RequestContext.RequestID = "aws-7"
	ev.RequestContext.Stage = "$default"
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.HTTP.Path = raw
	return ev
}

// cannedResponse is an operation's answer, with every field a pass-through could lose.
const cannedResponse = `{"statusCode":403,"headers":{"Content-Type":"application/json; charset=utf-8","X-Request-ID":"req-7","X-Other":"kept"},` +
	`"multiValueHeaders":{"X-Multi":["a","b"]},"cookies":["c=1"],"body":"{\"code\":3002,\"errorMessage\":\"user alice is deactivated\"}"}`

func TestFallbackForwardsTheCleanedPath(t *testing.T) {
	for _, tc := range []struct{ raw, clean, function string }{
		{"//user/deactivate/query.json", "/user/deactivate/query.json", "userDeactivateQuery"},
		{"/user//info.json", "/user/info.json", "userInfo"},
		{"/user/./info.json", "/user/info.json", "userInfo"},
		{"/user/info.json/", "/user/info.json", "userInfo"},
		{"/x/../user/info.json", "/user/info.json", "userInfo"},
		{"user/info.json", "/user/info.json", "userInfo"},
		{"///user/blocklist//add.json", "/user/blocklist/add.json", "userBlacklistAdd"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			l := &fakeLambda{answer: answerWith(cannedResponse)}
			ev := defaultEvent(http.MethodPost, tc.raw)
			resp, err := newFallback(l, io.Discard).Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.calls) != 1 {
				t.Fatalf("%d invocations, want 1", len(l.calls))
			}
			in := l.calls[0]
			if in.Function != "stack-"+tc.function {
				t.Errorf("invoked %q, want stack-%s", in.Function, tc.function)
			}
			if in.Async {
				t.Error("invoked asynchronously, want RequestResponse")
			}
			var sent Event
			if err := json.Unmarshal(in.Payload, &sent); err != nil {
				t.Fatalf("payload %s: %v", in.Payload, err)
			}
			want := ev
			want.RawPath, want.RouteKey = tc.clean, "POST "+tc.clean
			want.RequestContext.HTTP.Path, want.RequestContext.RouteKey = tc.clean, "POST "+tc.clean
			if !reflect.DeepEqual(sent, want) {
				t.Errorf("forwarded event\n%+v\nwant\n%+v", sent, want)
			}
			var canned Response
			if err := json.Unmarshal([]byte(cannedResponse), &canned); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resp, canned) {
				t.Errorf("response %+v, want the operation's unchanged: %+v", resp, canned)
			}
		})
	}
}

func TestFallbackAnswers404(t *testing.T) {
	long := "//" + strings.Repeat("é", 400)
	for _, tc := range []struct{ name, method, raw, message string }{
		{"unknown path", http.MethodPost, "//user/nothing.json", "no operation at /user/nothing.json"},
		{"unknown clean path", http.MethodPost, "/user/nothing.json", "no operation at /user/nothing.json"},
		{"root", http.MethodPost, "", "no operation at /"},
		{"GET of an operation", http.MethodGet, "//user/info.json", "no operation at /user/info.json"},
		{"GET of a clean operation path", http.MethodGet, "/user/info.json", "no operation at /user/info.json"},
		// API Gateway would have matched this itself; forwarding it could only loop.
		{"clean operation path", http.MethodPost, "/user/info.json", "no operation at /user/info.json"},
		{"long path", http.MethodPost, long, "no operation at /" + strings.Repeat("é", 127) + "…"},
		{"invalid UTF-8", http.MethodPost, "//a\xff.json", "no operation at /a\uFFFD.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &fakeLambda{answer: answerWith(cannedResponse)}
			resp, err := newFallback(l, io.Discard).Handle(context.Background(), defaultEvent(tc.method, tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			if len(l.calls) != 0 {
				t.Fatalf("invoked %s", l.calls[0].Function)
			}
			if msg := httpeventtest.WantError(t, resp, http.StatusNotFound, 1002); msg != tc.message {
				t.Errorf("errorMessage = %q, want %q", msg, tc.message)
			}
			if resp.Headers["X-Request-ID"] != "req-7" {
				t.Errorf("X-Request-ID not echoed: %v", resp.Headers)
			}
			if len(resp.Body) > 400 {
				t.Errorf("a %d-byte answer to a long path", len(resp.Body))
			}
		})
	}
}

func TestFallbackErrorMapping(t *testing.T) {
	const secret = "arn:aws:lambda:us-east-1:123456789012:function:stack-userInfo"
	fails := func(err error) func(invocation) (*lambda.InvokeOutput, error) {
		return func(invocation) (*lambda.InvokeOutput, error) { return nil, err }
	}
	for _, tc := range []struct {
		name         string
		answer       func(invocation) (*lambda.InvokeOutput, error)
		status, code int
	}{
		{"invoke refused", fails(&types.ResourceNotFoundException{Message: aws.String("Function not found: " + secret)}), 500, 1000},
		{"invoke timed out", fails(fmt.Errorf("post %s: %w", secret, context.DeadlineExceeded)), 504, 1050},
		{"invoke network timeout", fails(netTimeout{}), 504, 1050},
		{"function error", func(invocation) (*lambda.InvokeOutput, error) {
			return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
				Payload: []byte(`{"errorMessage":"` + secret + `","errorType":"Runtime.ExitError"}`)}, nil
		}, 500, 1000},
		{"null answer", answerWith("null"), 500, 1000},
		{"not JSON", answerWith(secret), 500, 1000},
		{"not a response", answerWith(`{"errorMessage":"` + secret + `"}`), 500, 1000},
		{"invoker panics", func(invocation) (*lambda.InvokeOutput, error) { panic(secret) }, 500, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			l := &fakeLambda{answer: tc.answer}
			resp, err := newFallback(l, &logs).Handle(context.Background(), defaultEvent(http.MethodPost, "//user/info.json"))
			if err != nil {
				t.Fatalf("Handle returned %v; API Gateway would answer 500 without the contract's body", err)
			}
			httpeventtest.WantError(t, resp, tc.status, tc.code)
			if strings.Contains(resp.Body, "arn:") || strings.Contains(resp.Body, "stack-") {
				t.Errorf("body shows internals: %s", resp.Body)
			}
			if resp.Headers["X-Request-ID"] != "req-7" {
				t.Errorf("X-Request-ID not echoed: %v", resp.Headers)
			}
			if !strings.Contains(logs.String(), `"target":"userInfo"`) {
				t.Errorf("the log does not name the target:\n%s", logs.String())
			}
		})
	}
}

func TestFallbackRefusesOversizeBodiesItself(t *testing.T) {
	l := &fakeLambda{answer: answerWith(cannedResponse)}
	ev := defaultEvent(http.MethodPost, "//user/info.json")
	ev.Body = strings.Repeat("a", 700<<10)
	resp, _ := newFallback(l, io.Discard).Handle(context.Background(), ev)
	httpeventtest.WantError(t, resp, http.StatusRequestEntityTooLarge, 1005)
	if len(l.calls) != 0 {
		t.Error("an oversize body was forwarded")
	}
}

// The operation runs once, synchronously (the call's options leave the client's retryer a
// single attempt), and the invocation ends early enough to answer 1050 before this function's
// own deadline.
func TestFallbackInvokesOnceWithinItsDeadline(t *testing.T) {
	l := &fakeLambda{answer: answerWith(cannedResponse)}
	deadline := time.Now().Add(15 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if _, err := newFallback(l, io.Discard).Handle(ctx, defaultEvent(http.MethodPost, "//user/info.json")); err != nil {
		t.Fatal(err)
	}
	if len(l.calls) != 1 || l.calls[0].Async || l.calls[0].Attempts != 1 {
		t.Fatalf("invocations %+v, want one synchronous, with one attempt", l.calls)
	}
	if got, ok := l.ctxs[0].Deadline(); !ok || !got.Equal(deadline.Add(-httpevent.AnswerMargin)) {
		t.Errorf("invocation deadline %v, want %v", got, deadline.Add(-httpevent.AnswerMargin))
	}
}

// One JSON line per request, naming the route, the path and the function it went to.
func TestFallbackLogLine(t *testing.T) {
	var logs bytes.Buffer
	l := &fakeLambda{answer: answerWith(cannedResponse)}
	_, _ = newFallback(l, &logs).Handle(context.Background(), defaultEvent(http.MethodPost, "//user/info.json"))
	line := httpeventtest.LogLine(t, logs.String())
	for k, want := range map[string]any{"route": Route, "path": "//user/info.json", "target": "userInfo",
		"requestId": "req-7", "awsRequestId": "aws-7", "status": float64(403)} {
		if line[k] != want {
			t.Errorf("log %s = %v, want %v", k, line[k], want)
		}
	}
	if strings.Contains(logs.String(), appSecret) || strings.Contains(logs.String(), "userId=alice") {
		t.Errorf("log shows the request's secrets or body:\n%s", logs.String())
	}
}

func TestFallbackCleanPath(t *testing.T) {
	for raw, want := range map[string]string{
		"": "/", "/": "/", "//": "/", "//user/x.json": "/user/x.json", "/user/x.json/": "/user/x.json",
		"/../user/x.json": "/user/x.json", "user/x.json": "/user/x.json", "/a/b/../../user/x.json": "/user/x.json",
	} {
		if got := CleanPath(raw); got != want {
			t.Errorf("CleanPath(%q) = %q, want %q", raw, got, want)
		}
	}
}
