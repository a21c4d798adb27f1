package invoke

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"imusers/shared/sigv4test"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	testKeyID   = "AKIDINVOKETEST"
	testSecret  = "invoke-secret-key-never-shown"
	testSession = "invoke-session-token-never-shown"
	testRegion  = "eu-west-1"
	// A qualified ARN: its colons must reach Lambda escaped, in one path segment.
	testFunction = "arn:aws:lambda:eu-west-1:123456789012:function:stack-userInfo:live"
	escapedName  = "arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Astack-userInfo%3Alive"
	testPayload  = `{"secretField":"payload-never-shown"}`
)

// lambdaStub checks every request as Lambda would and answers with the next of answers (the
// last one repeated).
type lambdaStub struct {
	t       *testing.T
	mu      sync.Mutex
	kinds   []string
	answers []func(http.ResponseWriter, *http.Request)
}

func (s *lambdaStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.kinds = append(s.kinds, r.Header.Get("X-Amz-Invocation-Type"))
	n := len(s.kinds)
	s.mu.Unlock()
	t := s.t
	if r.Method != http.MethodPost {
		t.Errorf("method %s, want POST", r.Method)
	}
	if got, want := r.URL.EscapedPath(), "/base/2015-03-31/functions/"+escapedName+"/invocations"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
	if r.URL.Path != "/base/2015-03-31/functions/"+testFunction+"/invocations" {
		t.Errorf("decoded path %s", r.URL.Path)
	}
	if string(body) != testPayload {
		t.Errorf("body %q, want the payload", body)
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+testKeyID+"/") || !strings.Contains(auth, "/"+testRegion+"/lambda/aws4_request") {
		t.Errorf("Authorization %q", auth)
	}
	for _, h := range []string{"host", "x-amz-date", "x-amz-invocation-type", "x-amz-security-token"} {
		if !strings.Contains(auth, h) {
			t.Errorf("%s is not signed: %q", h, auth)
		}
	}
	if want := sigv4test.Resign(t, r, body, testCreds, "lambda", testRegion); auth != want {
		t.Errorf("signature does not verify:\n got %s\nwant %s", auth, want)
	}
	s.answers[min(n, len(s.answers))-1](w, r)
}

func (s *lambdaStub) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.kinds...)
}

func answer(status int, header map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// hangUp drops the connection without an answer.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// newClient is a client of a stub answering answers, configured as the service configures its
// AWS calls: 4 attempts with short backoff, perAttempt per HTTP attempt.
func newClient(t *testing.T, perAttempt time.Duration, answers ...func(http.ResponseWriter, *http.Request)) (*Client, *lambdaStub) {
	t.Helper()
	stub := &lambdaStub{t: t, answers: answers}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	c, err := New(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, testSession),
		HTTPClient:  awshttp.NewBuildableClient().WithTimeout(perAttempt),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 4; o.MaxBackoff = 5 * time.Millisecond })
		},
	}, srv.URL+"/base/")
	if err != nil {
		t.Fatal(err)
	}
	return c, stub
}

func TestAsyncInvocationIsQueued(t *testing.T) {
	c, stub := newClient(t, 3*time.Second, answer(http.StatusAccepted, nil, ""))
	res, err := c.Invoke(context.Background(), testFunction, true, []byte(testPayload))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusAccepted || res.FunctionError != "" || len(res.Payload) != 0 {
		t.Errorf("result %+v", res)
	}
	if got := stub.calls(); len(got) != 1 || got[0] != "Event" {
		t.Errorf("invocation types %v, want one Event", got)
	}
}

func TestSyncInvocationReturnsTheResult(t *testing.T) {
	c, stub := newClient(t, 3*time.Second, answer(http.StatusOK, nil, `{"statusCode":200}`))
	res, err := c.Invoke(context.Background(), testFunction, false, []byte(testPayload))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || res.FunctionError != "" || string(res.Payload) != `{"statusCode":200}` {
		t.Errorf("result %+v", res)
	}
	if got := stub.calls(); len(got) != 1 || got[0] != "RequestResponse" {
		t.Errorf("invocation types %v, want one RequestResponse", got)
	}
}

// A function that failed is Lambda's successful answer: the caller decides what it means.
func TestSyncInvocationSurfacesTheFunctionError(t *testing.T) {
	c, _ := newClient(t, 3*time.Second, answer(http.StatusOK, map[string]string{"X-Amz-Function-Error": "Unhandled"},
		`{"errorMessage":"boom","errorType":"Runtime.ExitError"}`))
	res, err := c.Invoke(context.Background(), testFunction, false, []byte(testPayload))
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "boom") {
		t.Errorf("result %+v", res)
	}
}

// An operation may take longer than an AWS call's per-attempt limit; only the context bounds it.
func TestSyncInvocationHasNoPerAttemptTimeout(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		answer(http.StatusOK, nil, `{}`)(w, r)
	}
	c, _ := newClient(t, 100*time.Millisecond, slow)
	if _, err := c.Invoke(context.Background(), testFunction, false, []byte(testPayload)); err != nil {
		t.Fatalf("a synchronous invocation was cut by the per-attempt timeout: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Invoke(ctx, testFunction, false, []byte(testPayload)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("past the context's deadline: %v", err)
	}
}

func TestRetries(t *testing.T) {
	throttled := answer(http.StatusTooManyRequests, map[string]string{"X-Amzn-ErrorType": "TooManyRequestsException"},
		`{"Type":"User","message":"Rate exceeded"}`)
	fault := answer(http.StatusInternalServerError, map[string]string{"X-Amzn-ErrorType": "ServiceException"},
		`{"Type":"Service","message":"internal"}`)
	queued := answer(http.StatusAccepted, nil, "")
	for _, tc := range []struct {
		name    string
		async   bool
		answers []func(http.ResponseWriter, *http.Request)
		calls   int
		ok      bool
	}{
		{"async after throttling", true, []func(http.ResponseWriter, *http.Request){throttled, queued}, 2, true},
		{"async after a server fault", true, []func(http.ResponseWriter, *http.Request){fault, fault, queued}, 3, true},
		{"async after a lost connection", true, []func(http.ResponseWriter, *http.Request){hangUp, queued}, 2, true},
		{"async gives up", true, []func(http.ResponseWriter, *http.Request){fault}, 4, false},
		{"async refusal is final", true, []func(http.ResponseWriter, *http.Request){
			answer(http.StatusNotFound, map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"}, `{}`), queued}, 1, false},
		{"sync throttled once", false, []func(http.ResponseWriter, *http.Request){throttled, queued}, 1, false},
		{"sync server fault once", false, []func(http.ResponseWriter, *http.Request){fault, queued}, 1, false},
		{"sync lost connection once", false, []func(http.ResponseWriter, *http.Request){hangUp, queued}, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := newClient(t, 3*time.Second, tc.answers...)
			_, err := c.Invoke(context.Background(), testFunction, tc.async, []byte(testPayload))
			if (err == nil) != tc.ok {
				t.Errorf("error %v", err)
			}
			if n := len(stub.calls()); n != tc.calls {
				t.Errorf("%d attempts, want %d", n, tc.calls)
			}
		})
	}
}

func TestErrorsNameAWSCodeButNoSecret(t *testing.T) {
	for _, tc := range []struct {
		name, code, message string
		answer              func(http.ResponseWriter, *http.Request)
	}{
		{"header code, body message", "ResourceNotFoundException", "Function not found",
			answer(http.StatusNotFound, map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/"},
				`{"Type":"User","message":"Function not found"}`)},
		{"JSON type", "InvalidRequestContentException", "Could not parse",
			answer(http.StatusBadRequest, nil, `{"__type":"com.amazon#InvalidRequestContentException","Message":"Could not parse"}`)},
		{"fault kind only", "User", "bad",
			answer(http.StatusBadRequest, nil, `{"Type":"User","message":"bad"}`)},
		{"not JSON", "", "", answer(http.StatusForbidden, nil, "<html>"+testSecret+"</html>")},
		{"control characters", "AccessDeniedException", "line one line two",
			answer(http.StatusForbidden, map[string]string{"X-Amzn-ErrorType": "AccessDeniedException"}, `{"message":"line one\nline two"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, 3*time.Second, tc.answer)
			_, err := c.Invoke(context.Background(), testFunction, false, []byte(testPayload))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v", err, err)
			}
			if e.Code != tc.code || e.Message != tc.message || e.Status < 400 || e.ErrorCode() != tc.code || e.HTTPStatusCode() != e.Status {
				t.Errorf("error %+v, want code %q message %q", e, tc.code, tc.message)
			}
			msg := err.Error()
			if !strings.Contains(msg, testFunction) || (tc.code != "" && !strings.Contains(msg, tc.code)) {
				t.Errorf("error %q does not say what failed", msg)
			}
			for _, secret := range []string{testSecret, testSession, "payload-never-shown", "Signature="} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q shows %s", msg, secret)
				}
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error %q spans lines", msg)
			}
		})
	}
}

func TestRefusesBadInput(t *testing.T) {
	if _, err := New(aws.Config{}, "not a url"); err == nil {
		t.Error("New accepted an endpoint that is not a URL")
	}
	c, stub := newClient(t, time.Second, answer(http.StatusAccepted, nil, ""))
	if _, err := c.Invoke(context.Background(), "", true, nil); err == nil {
		t.Error("an invocation without a function")
	}
	noCreds, _ := New(aws.Config{Region: testRegion}, "http://127.0.0.1:1")
	if _, err := noCreds.Invoke(context.Background(), "f", true, nil); err == nil {
		t.Error("an invocation without credentials")
	}
	if n := len(stub.calls()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

var testCreds = aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testSession}
