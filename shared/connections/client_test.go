package connections_test

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

	"imusers/shared/connections"
)

const (
	testKeyID   = "AKIDMANAGEMENTTEST"
	testSecret  = "management-secret-key-never-shown"
	testSession = "management-session-token-never-shown"
	testRegion  = "eu-west-1"
	testStage   = "/prod"
	// API Gateway's connection ids end in "=": it must reach the API escaped, in one segment.
	testConn    = "L0SM9cOFvHcCIhw="
	escapedConn = "L0SM9cOFvHcCIhw%3D"
	testData    = `{"type":"message","content":"payload-never-shown"}`
)

// managementStub checks every request as the Management API would and answers with the next of
// answers (the last one repeated).
type managementStub struct {
	t       *testing.T
	mu      sync.Mutex
	methods []string
	answers []func(http.ResponseWriter, *http.Request)
}

func (s *managementStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.methods = append(s.methods, r.Method)
	n := len(s.methods)
	s.mu.Unlock()
	t := s.t
	if got, want := r.URL.EscapedPath(), testStage+"/@connections/"+escapedConn; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
	if r.URL.Path != testStage+"/@connections/"+testConn {
		t.Errorf("decoded path %s", r.URL.Path)
	}
	switch r.Method {
	case http.MethodPost:
		if string(body) != testData {
			t.Errorf("body %q, want the data", body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("Content-Type %q", ct)
		}
	case http.MethodDelete:
		if len(body) != 0 {
			t.Errorf("DELETE with body %q", body)
		}
	default:
		t.Errorf("method %s", r.Method)
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+testKeyID+"/") || !strings.Contains(auth, "/"+testRegion+"/execute-api/aws4_request") {
		t.Errorf("Authorization %q", auth)
	}
	for _, h := range []string{"host", "x-amz-date", "x-amz-security-token"} {
		if !strings.Contains(auth, h) {
			t.Errorf("%s is not signed: %q", h, auth)
		}
	}
	if want := sigv4test.Resign(t, r, body, testCreds, "execute-api", testRegion); auth != want {
		t.Errorf("signature does not verify:\n got %s\nwant %s", auth, want)
	}
	s.answers[min(n, len(s.answers))-1](w, r)
}

func (s *managementStub) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.methods...)
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

var (
	ok       = answer(http.StatusOK, nil, "")
	deleted  = answer(http.StatusNoContent, nil, "")
	goneAns  = answer(http.StatusGone, map[string]string{"X-Amzn-ErrorType": "GoneException"}, `{"message":null}`)
	limited  = answer(http.StatusTooManyRequests, map[string]string{"X-Amzn-ErrorType": "LimitExceededException"}, `{"message":"Rate exceeded"}`)
	tooMany  = answer(http.StatusTooManyRequests, nil, `{"message":"Too Many Requests"}`)
	fault    = answer(http.StatusInternalServerError, map[string]string{"X-Amzn-ErrorType": "InternalServerErrorException"}, `{"message":"Internal server error"}`)
	badGate  = answer(http.StatusBadGateway, nil, "<html>bad gateway</html>")
	denied   = answer(http.StatusForbidden, map[string]string{"X-Amzn-ErrorType": "ForbiddenException"}, `{"message":"Forbidden"}`)
	bad      = answer(http.StatusBadRequest, map[string]string{"X-Amzn-ErrorType": "BadRequestException"}, `{"message":"Invalid connectionId"}`)
	tooLarge = answer(http.StatusRequestEntityTooLarge, map[string]string{"X-Amzn-ErrorType": "PayloadTooLargeException"}, `{"message":"Payload too large"}`)
)

// newClient is a client of a stub answering answers under the stage path, configured as the
// service configures its AWS calls: 4 attempts with a short wait, perAttempt per HTTP attempt.
func newClient(t *testing.T, perAttempt time.Duration, answers ...func(http.ResponseWriter, *http.Request)) (*connections.Client, *managementStub) {
	t.Helper()
	return newClientWith(t, perAttempt, 5*time.Millisecond, answers...)
}

func newClientWith(t *testing.T, perAttempt, backoff time.Duration, answers ...func(http.ResponseWriter, *http.Request)) (*connections.Client, *managementStub) {
	t.Helper()
	stub := &managementStub{t: t, answers: answers}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	c := connections.NewClient(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, testSession),
		HTTPClient:  awshttp.NewBuildableClient().WithTimeout(perAttempt),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 4
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return backoff, nil })
			})
		},
	}, srv.URL+testStage)
	return c, stub
}

func TestPostAndDelete(t *testing.T) {
	c, stub := newClient(t, 3*time.Second, ok)
	if err := c.Post(context.Background(), testConn, []byte(testData)); err != nil {
		t.Fatal(err)
	}
	stub.answers = []func(http.ResponseWriter, *http.Request){ok, deleted}
	if err := c.Delete(context.Background(), testConn); err != nil {
		t.Fatal(err)
	}
	if got := stub.calls(); len(got) != 2 || got[0] != http.MethodPost || got[1] != http.MethodDelete {
		t.Errorf("calls %v, want one POST, then one DELETE", got)
	}
}

// A trailing slash on the endpoint, as in a copied console URL, changes nothing.
func TestEndpointWithTrailingSlash(t *testing.T) {
	stub := &managementStub{t: t, answers: []func(http.ResponseWriter, *http.Request){ok}}
	srv := httptest.NewServer(stub)
	defer srv.Close()
	c := connections.NewClient(aws.Config{
		Region: testRegion, Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, testSession),
	}, srv.URL+testStage+"/")
	if err := c.Post(context.Background(), testConn, []byte(testData)); err != nil {
		t.Fatal(err)
	}
}

func TestGoneIsFinal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request)
	}{
		{"410 GoneException", goneAns},
		{"410 without a code", answer(http.StatusGone, nil, "")},
		{"GoneException in the body", answer(http.StatusGone, nil, `{"__type":"GoneException","message":"gone"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := newClient(t, 3*time.Second, tc.answer)
			err := c.Post(context.Background(), testConn, []byte(testData))
			if !errors.Is(err, connections.ErrGone) {
				t.Errorf("post: %v, want ErrGone", err)
			}
			err = c.Delete(context.Background(), testConn)
			if !errors.Is(err, connections.ErrGone) {
				t.Errorf("delete: %v, want ErrGone", err)
			}
			if n := len(stub.calls()); n != 2 {
				t.Errorf("%d attempts, want one per call", n)
			}
		})
	}
}

// slow answers after longer than a test client's 100 ms attempt: its answer is lost.
func slow(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(2 * time.Second):
	}
}

type answers = []func(http.ResponseWriter, *http.Request)

// Closing a connection is repeatable: every failure that may pass is tried again.
func TestDeleteRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers answers
		calls   int
		ok      bool
	}{
		{"after LimitExceededException", answers{limited, deleted}, 2, true},
		{"after a bare 429", answers{tooMany, tooMany, deleted}, 3, true},
		{"after a server fault", answers{fault, deleted}, 2, true},
		{"after a bad gateway", answers{badGate, deleted}, 2, true},
		{"after a lost connection", answers{hangUp, deleted}, 2, true},
		{"after a lost answer", answers{slow, deleted}, 2, true},
		{"gives up after MaxAttempts", answers{fault}, 4, false},
		{"throttled to the end", answers{limited}, 4, false},
		{"forbidden is final", answers{denied, deleted}, 1, false},
		{"a bad request is final", answers{bad, deleted}, 1, false},
		{"gone after a fault", answers{fault, goneAns, deleted}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := newClient(t, 100*time.Millisecond, tc.answers...)
			err := c.Delete(context.Background(), testConn)
			if (err == nil) != tc.ok {
				t.Errorf("error %v", err)
			}
			if n := len(stub.calls()); n != tc.calls {
				t.Errorf("%d attempts, want %d", n, tc.calls)
			}
		})
	}
}

// A frame goes at most once: it is sent again only when the answer says it was not delivered;
// a fault, a lost connection or a lost answer may have delivered it.
func TestPostIsSentAgainOnlyWhenItSurelyWasNot(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers answers
		calls   int
		ok      bool
	}{
		{"after LimitExceededException", answers{limited, ok}, 2, true},
		{"after a bare 429", answers{tooMany, tooMany, ok}, 3, true},
		{"throttled to the end", answers{limited}, 4, false},
		{"not after a server fault", answers{fault, ok}, 1, false},
		{"not after a bad gateway", answers{badGate, ok}, 1, false},
		{"not after a lost connection", answers{hangUp, ok}, 1, false},
		{"not after a lost answer", answers{slow, ok}, 1, false},
		{"too much data is final", answers{tooLarge, ok}, 1, false},
		{"gone is final", answers{goneAns, ok}, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := newClient(t, 100*time.Millisecond, tc.answers...)
			err := c.Post(context.Background(), testConn, []byte(testData))
			if (err == nil) != tc.ok {
				t.Errorf("error %v", err)
			}
			if n := len(stub.calls()); n != tc.calls {
				t.Errorf("%d attempts, want %d", n, tc.calls)
			}
		})
	}
}

// countingClient counts the requests it is asked to send.
type countingClient struct {
	http.Client
	mu    sync.Mutex
	tries int
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.tries++
	c.mu.Unlock()
	return c.Client.Do(r)
}

// An endpoint that cannot be reached received nothing, so a frame is tried again.
func TestPostToAnUnreachableEndpointIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	hc := &countingClient{Client: http.Client{Timeout: time.Second}}
	c := connections.NewClient(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, testSession),
		HTTPClient:  hc,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})
		},
	}, url+testStage)
	if err := c.Post(context.Background(), testConn, []byte(testData)); err == nil {
		t.Fatal("a post to a closed port succeeded")
	}
	if hc.tries != 3 {
		t.Errorf("%d attempts, want 3", hc.tries)
	}
}

func TestContextStopsTheCall(t *testing.T) {
	t.Run("during an attempt", func(t *testing.T) {
		hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
		c, stub := newClient(t, 10*time.Second, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := c.Post(ctx, testConn, []byte(testData))
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
			t.Errorf("post under a 100ms deadline: %v after %s", err, time.Since(start))
		}
		if n := len(stub.calls()); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})
	t.Run("while waiting to retry", func(t *testing.T) {
		c, stub := newClientWith(t, 3*time.Second, time.Minute, fault)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for len(stub.calls()) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			cancel()
		}()
		start := time.Now()
		err := c.Delete(ctx, testConn)
		if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
			t.Errorf("delete canceled during backoff: %v after %s", err, time.Since(start))
		}
		if n := len(stub.calls()); n != 1 {
			t.Errorf("%d attempts, want 1: the retry waits a minute", n)
		}
	})
	t.Run("before the call", func(t *testing.T) {
		c, stub := newClient(t, 3*time.Second, ok)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.Delete(ctx, testConn); !errors.Is(err, context.Canceled) {
			t.Errorf("delete with a canceled context: %v", err)
		}
		if n := len(stub.calls()); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}

func TestErrorsNameAWSCodeButNoSecret(t *testing.T) {
	for _, tc := range []struct {
		name, code, message string
		answer              func(http.ResponseWriter, *http.Request)
	}{
		{"header code", "ForbiddenException", "Forbidden", denied},
		{"JSON type", "BadRequestException", "Invalid connectionId",
			answer(http.StatusBadRequest, nil, `{"__type":"com.amazonaws#BadRequestException","message":"Invalid connectionId"}`)},
		{"throttled", "LimitExceededException", "Rate exceeded", limited},
		{"echoed request", "", "", answer(http.StatusForbidden, nil, "<html>"+testSecret+testSession+testData+"</html>")},
		{"control characters", "ForbiddenException", "line one line two",
			answer(http.StatusForbidden, map[string]string{"X-Amzn-ErrorType": "ForbiddenException"}, `{"message":"line one\nline two"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newClient(t, 3*time.Second, tc.answer)
			err := c.Post(context.Background(), testConn, []byte(testData))
			var e *connections.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v", err, err)
			}
			if e.Code != tc.code || e.Message != tc.message || e.Status < 400 || e.ErrorCode() != tc.code || e.HTTPStatusCode() != e.Status {
				t.Errorf("error %+v, want code %q message %q", e, tc.code, tc.message)
			}
			msg := err.Error()
			if !strings.Contains(msg, "PostToConnection") || !strings.Contains(msg, testConn) || (tc.code != "" && !strings.Contains(msg, tc.code)) {
				t.Errorf("error %q does not say what failed", msg)
			}
			noSecret(t, msg)
			if errors.Is(err, connections.ErrGone) {
				t.Errorf("error %q reads as a gone connection", msg)
			}
		})
	}
	// A lost connection names the endpoint and what failed, nothing more.
	c, _ := newClient(t, 3*time.Second, hangUp)
	err := c.Post(context.Background(), testConn, []byte(testData))
	if err == nil {
		t.Fatal("no error after the connection was lost every time")
	}
	noSecret(t, err.Error())
}

func noSecret(t *testing.T, msg string) {
	t.Helper()
	for _, secret := range []string{testSecret, testSession, "payload-never-shown", "Signature=", "AWS4-HMAC-SHA256"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error %q shows %s", msg, secret)
		}
	}
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error %q spans lines", msg)
	}
}

func TestRefusesBadInput(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider(testKeyID, testSecret, testSession)
	for _, endpoint := range []string{"not a url", "", "ftp://host/prod", "/prod"} {
		c := connections.NewClient(aws.Config{Region: testRegion, Credentials: creds}, endpoint)
		if err := c.Post(context.Background(), testConn, []byte(testData)); err == nil || !strings.Contains(err.Error(), "endpoint") {
			t.Errorf("a post through the endpoint %q: %v", endpoint, err)
		}
	}
	c, stub := newClient(t, time.Second, ok)
	if err := c.Post(context.Background(), "", []byte(testData)); err == nil {
		t.Error("a post without a connection id")
	}
	noCreds := connections.NewClient(aws.Config{Region: testRegion}, "http://127.0.0.1:1")
	if err := noCreds.Delete(context.Background(), testConn); err == nil {
		t.Error("a call without credentials")
	}
	noRegion := connections.NewClient(aws.Config{Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")}, "http://127.0.0.1:1")
	if err := noRegion.Delete(context.Background(), testConn); err == nil {
		t.Error("a call without a region")
	}
	if n := len(stub.calls()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

var testCreds = aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testSession}
