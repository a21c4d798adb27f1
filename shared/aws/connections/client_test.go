package connections_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"imusers/shared/aws/connections"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

const (
	testKeyID  = "AKIDMANAGEMENTTEST"
	testRegion = "eu-west-1"
	testStage  = "/prod"
	// API Gateway's connection ids end in "=": it must reach the API escaped, in one segment.
	testConn    = "L0SM9cOFvHcCIhw="
	escapedConn = "L0SM9cOFvHcCIhw%3D"
	testData    = `{"type":"message","content":"hello"}`
)

// awsConfig is the configuration a cold start builds (the service's per-attempt timeout and
// retries), with test credentials and region.
func awsConfig(t *testing.T, extra ...func(*aws.Config)) aws.Config {
	t.Helper()
	cfg, err := service.AWSConfig(context.Background(), append([]func(*aws.Config){func(c *aws.Config) {
		c.Region = testRegion
		c.Credentials = credentials.NewStaticCredentialsProvider(testKeyID, "secret", "session")
	}}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// A frame posted through the local gateway's @connections endpoint reaches the client once;
// DeleteConnection closes it; after that, and for an id never opened, the call answers ErrGone.
func TestPostAndDeleteThroughTheLocalGateway(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := c.Register(t, "alice")
	in := testenv.NewInbox(s.MustDial(t, tok))
	conns, err := s.Service.Store.Connections(context.Background(), s.Apps[0].Key, "alice", store.Strong)
	if err != nil || len(conns) != 1 {
		t.Fatalf("connections %v, %v", conns, err)
	}
	id := conns[0].ID
	client := connections.NewClient(awsConfig(t), s.URL)
	ctx := context.Background()

	if err := client.Post(ctx, id, []byte(testData)); err != nil {
		t.Fatal(err)
	}
	if f := in.Next(t, 5*time.Second); f["content"] != "hello" {
		t.Fatalf("frame %v", f)
	}
	in.Quiet(t, 200*time.Millisecond)

	if err := client.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	in.Closed(t, 5*time.Second)
	if err := client.Post(ctx, id, []byte(testData)); !errors.Is(err, connections.ErrGone) {
		t.Errorf("post to a closed connection: %v, want ErrGone", err)
	}
	if err := client.Delete(ctx, "bm90LW9wZW4="); !errors.Is(err, connections.ErrGone) {
		t.Errorf("delete of a connection never opened: %v, want ErrGone", err)
	}
}

// managementStub answers each call with the next of answers (the last one repeated), after
// checking that the call kept the stage, escaped the id and was signed for execute-api.
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
	if got, want := r.URL.EscapedPath(), testStage+"/@connections/"+escapedConn; got != want {
		s.t.Errorf("path %s, want %s", got, want)
	}
	if r.Method == http.MethodPost && string(body) != testData {
		s.t.Errorf("body %q, want the frame", body)
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+testKeyID+"/") ||
		!strings.Contains(auth, "/"+testRegion+"/execute-api/aws4_request") {
		s.t.Errorf("Authorization %q", auth)
	}
	s.answers[min(n, len(s.answers))-1](w, r)
}

func (s *managementStub) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.methods)
}

func answer(status int, errorType string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		if errorType != "" {
			w.Header().Set("X-Amzn-ErrorType", errorType)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		if status >= 300 {
			_, _ = io.WriteString(w, `{"message":"from the stub"}`)
		}
	}
}

// hangUp drops the connection without an answer: the request may have been served.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		_ = conn.Close()
	}
}

var (
	ok      = answer(http.StatusOK, "")
	done    = answer(http.StatusNoContent, "")
	limited = answer(http.StatusTooManyRequests, "LimitExceededException")
	tooMany = answer(http.StatusTooManyRequests, "")
	fault   = answer(http.StatusInternalServerError, "InternalServerErrorException")
	badGate = answer(http.StatusBadGateway, "")
	goneAns = answer(http.StatusGone, "GoneException")
	denied  = answer(http.StatusForbidden, "ForbiddenException")
)

func stubClient(t *testing.T, answers ...func(http.ResponseWriter, *http.Request)) (*connections.Client, *managementStub) {
	t.Helper()
	stub := &managementStub{t: t, answers: answers}
	srv := httptest.NewServer(stub)
	t.Cleanup(srv.Close)
	return connections.NewClient(awsConfig(t), srv.URL+testStage), stub
}

// A frame is posted again only after throttling, when it surely was not delivered; after a
// server fault or a lost answer it may have reached the client, so the call fails at once.
// Closing a connection is retried on every passing failure. Refusals and a gone connection
// are final.
func TestPostIsAtMostOnceAndDeleteRetries(t *testing.T) {
	post := func(c *connections.Client) error { return c.Post(context.Background(), testConn, []byte(testData)) }
	del := func(c *connections.Client) error { return c.Delete(context.Background(), testConn) }
	for _, tc := range []struct {
		name    string
		call    func(*connections.Client) error
		answers []func(http.ResponseWriter, *http.Request)
		calls   int
		wantErr bool
	}{
		{"post throttled, then delivered", post, a(limited, tooMany, ok), 3, false},
		{"post after a server fault", post, a(fault, ok), 1, true},
		{"post after a bad gateway", post, a(badGate, ok), 1, true},
		{"post whose answer was lost", post, a(hangUp, ok), 1, true},
		{"post refused", post, a(denied, ok), 1, true},
		{"post throttled past the attempts", post, a(limited), 4, true},
		{"delete after passing failures", del, a(fault, hangUp, limited, done), 4, false},
		{"delete refused", del, a(denied, done), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, stub := stubClient(t, tc.answers...)
			err := tc.call(c)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if errors.Is(err, connections.ErrGone) {
				t.Errorf("%v reads as a gone connection", err)
			}
			if got := stub.calls(); got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
		})
	}
}

func TestGoneIsFinal(t *testing.T) {
	for name, call := range map[string]func(*connections.Client) error{
		"post":   func(c *connections.Client) error { return c.Post(context.Background(), testConn, []byte(testData)) },
		"delete": func(c *connections.Client) error { return c.Delete(context.Background(), testConn) },
	} {
		t.Run(name, func(t *testing.T) {
			c, stub := stubClient(t, goneAns, ok)
			if err := call(c); !errors.Is(err, connections.ErrGone) {
				t.Fatalf("error %v, want ErrGone", err)
			}
			if stub.calls() != 1 {
				t.Errorf("%d calls, want 1", stub.calls())
			}
		})
	}
}

// countingClient counts the HTTP attempts of the calls it sends.
type countingClient struct {
	aws.HTTPClient
	n atomic.Int32
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.HTTPClient.Do(r)
}

// A post that could not connect to the endpoint delivered nothing, so it is tried again.
func TestPostToAnUnreachableEndpointIsRetried(t *testing.T) {
	l := httptest.NewServer(http.NotFoundHandler())
	unreachable := l.URL
	l.Close()
	var counter *countingClient
	cfg := awsConfig(t, func(c *aws.Config) {
		counter = &countingClient{HTTPClient: c.HTTPClient}
		c.HTTPClient = counter
	})
	err := connections.NewClient(cfg, unreachable).Post(context.Background(), testConn, []byte(testData))
	if err == nil || errors.Is(err, connections.ErrGone) {
		t.Fatalf("error %v", err)
	}
	if got := counter.n.Load(); got != 4 {
		t.Errorf("%d attempts, want the service's 4", got)
	}
}

func a(answers ...func(http.ResponseWriter, *http.Request)) []func(http.ResponseWriter, *http.Request) {
	return answers
}
