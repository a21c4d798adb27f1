package dynamo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"imusers/shared/sigv4test"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"imusers/shared/awserr"
	"imusers/shared/dynamo"
)

const (
	testKeyID   = "AKIDDYNAMOTEST"
	testSecret  = "dynamo-secret-key-never-shown"
	testSession = "dynamo-session-token-never-shown"
	testRegion  = "eu-west-1"
	// secretValue is in every request body; no error may show it.
	secretValue = "item-value-never-shown"
)

// stub is a DynamoDB stand-in: it checks every request as DynamoDB would (protocol headers,
// signature) and answers with the next of answers, the last one repeated.
type stub struct {
	t       *testing.T
	mu      sync.Mutex
	targets []string
	bodies  []string
	answers []func(http.ResponseWriter, *http.Request)
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.targets = append(s.targets, r.Header.Get("X-Amz-Target"))
	s.bodies = append(s.bodies, string(body))
	n := len(s.targets)
	s.mu.Unlock()
	t := s.t
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		t.Errorf("%s %s, want POST /", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type %q", ct)
	}
	if ae := r.Header.Get("Accept-Encoding"); ae != "identity" {
		t.Errorf("Accept-Encoding %q, want identity (so the checksum is of what is read)", ae)
	}
	checkSignature(t, r, body)
	s.answers[min(n, len(s.answers))-1](w, r)
}

func (s *stub) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.targets)
}

// checkSignature signs the request again, as AWS checks it: the headers it names as signed,
// the body's hash, the dynamodb service and the region; the result must be the same.
func checkSignature(t *testing.T, r *http.Request, body []byte) {
	t.Helper()
	auth := r.Header.Get("Authorization")
	scope := "AWS4-HMAC-SHA256 Credential=" + testKeyID + "/" + r.Header.Get("X-Amz-Date")[:8] + "/" + testRegion + "/dynamodb/aws4_request, SignedHeaders="
	if !strings.HasPrefix(auth, scope) {
		t.Errorf("Authorization %q, want it to start %q", auth, scope)
		return
	}
	signed, _, _ := strings.Cut(strings.TrimPrefix(auth, scope), ",")
	for _, h := range []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target"} {
		if !strings.Contains(";"+signed+";", ";"+h+";") {
			t.Errorf("%s is not signed (%s)", h, signed)
		}
	}
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testSession}
	if want := sigv4test.Resign(t, r, body, creds, "dynamodb", testRegion); auth != want {
		t.Errorf("signature does not verify:\n got %s\nwant %s", auth, want)
	}
}

// answer is an answer with a correct X-Amz-Crc32, as DynamoDB sends.
func answer(status int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func awsError(status int, code, message string) func(http.ResponseWriter, *http.Request) {
	return answer(status, fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, code, message))
}

// hangUp drops the connection without an answer.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// damaged is an answer whose X-Amz-Crc32 is not its body's.
func damaged(w http.ResponseWriter, _ *http.Request) {
	body := `{"Item":{"PK":{"S":"damaged"}}}`
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))+1), 10))
	_, _ = io.WriteString(w, body)
}

const found = `{"Item":{"PK":{"S":"a"},"v":{"N":"1"}}}`

// quickRetries are the service's retries (retryer in shared/service) with short delays.
func quickRetries() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 4
		o.MaxBackoff = 5 * time.Millisecond
		o.BaseDelay = time.Millisecond
	})
}

func testConfig(retryer func() aws.Retryer) aws.Config {
	return aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecret, testSession),
		Retryer:     retryer,
	}
}

func startStub(t *testing.T, retryer func() aws.Retryer, answers ...func(http.ResponseWriter, *http.Request)) (*dynamo.Client, *stub) {
	t.Helper()
	st := &stub{t: t, answers: answers}
	srv := httptest.NewServer(st)
	t.Cleanup(srv.Close)
	c, err := dynamo.New(testConfig(retryer), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

func getInput() *dynamo.GetItemInput {
	return &dynamo.GetItemInput{TableName: aws.String("t"), Key: map[string]dynamo.AttributeValue{"PK": s(secretValue)}}
}

// The request is DynamoDB's JSON 1.0 protocol: the action in X-Amz-Target, the input by its
// API names in the body, signed for dynamodb in the region (checked by the stub).
func TestRequestIsDynamoDBJSON(t *testing.T) {
	c, st := startStub(t, quickRetries, answer(200, found))
	out, err := c.GetItem(ctxT(t), &dynamo.GetItemInput{TableName: aws.String("users"), Key: map[string]dynamo.AttributeValue{"PK": s("a")}, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]dynamo.AttributeValue{"PK": s("a"), "v": n("1")}; !reflect.DeepEqual(out.Item, want) {
		t.Errorf("Item %v, want %v", out.Item, want)
	}
	if st.targets[0] != "DynamoDB_20120810.GetItem" {
		t.Errorf("X-Amz-Target %q", st.targets[0])
	}
	if want := `{"TableName":"users","Key":{"PK":{"S":"a"}},"ConsistentRead":true}`; st.bodies[0] != want {
		t.Errorf("body %s, want %s", st.bodies[0], want)
	}
	for _, call := range []struct {
		target string
		do     func() error
	}{
		{"PutItem", func() error { _, err := c.PutItem(ctxT(t), &dynamo.PutItemInput{}); return err }},
		{"UpdateItem", func() error { _, err := c.UpdateItem(ctxT(t), &dynamo.UpdateItemInput{}); return err }},
		{"DeleteItem", func() error { _, err := c.DeleteItem(ctxT(t), &dynamo.DeleteItemInput{}); return err }},
		{"Query", func() error { _, err := c.Query(ctxT(t), &dynamo.QueryInput{}); return err }},
		{"BatchGetItem", func() error { _, err := c.BatchGetItem(ctxT(t), &dynamo.BatchGetItemInput{}); return err }},
		{"BatchWriteItem", func() error { _, err := c.BatchWriteItem(ctxT(t), nil); return err }},
	} {
		if err := call.do(); err != nil {
			t.Errorf("%s: %v", call.target, err)
		}
		if got := st.targets[len(st.targets)-1]; got != "DynamoDB_20120810."+call.target {
			t.Errorf("X-Amz-Target %q, want DynamoDB_20120810.%s", got, call.target)
		}
	}
}

// The endpoint's path is where requests go; a query or fragment in it is not sent.
func TestEndpointPath(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.RequestURI()
		answer(200, `{}`)(w, r)
	}))
	defer srv.Close()
	for endpoint, want := range map[string]string{srv.URL: "/", srv.URL + "/": "/", srv.URL + "/base/?x=1#f": "/base/"} {
		c, err := dynamo.New(testConfig(quickRetries), endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetItem(ctxT(t), getInput()); err != nil || path != want {
			t.Errorf("%s: path %q, %v; want %q", endpoint, path, err, want)
		}
	}
}

func TestNewRefusesWhatIsNotAnHTTPURL(t *testing.T) {
	for _, endpoint := range []string{"", "dynamodb.eu-west-1.amazonaws.com", "ftp://host/", "http://", "://x", "https:///path"} {
		if _, err := dynamo.New(testConfig(nil), endpoint); err == nil {
			t.Errorf("New(%q): no error", endpoint)
		}
	}
}

// Without a region or credentials nothing is sent.
func TestNoRegionOrCredentials(t *testing.T) {
	st := &stub{t: t, answers: []func(http.ResponseWriter, *http.Request){answer(200, `{}`)}}
	srv := httptest.NewServer(st)
	defer srv.Close()
	noRegion, noCreds := testConfig(nil), testConfig(nil)
	noRegion.Region = ""
	noCreds.Credentials = nil
	for _, cfg := range []aws.Config{noRegion, noCreds} {
		c, err := dynamo.New(cfg, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetItem(ctxT(t), getInput()); err == nil {
			t.Error("no error")
		}
	}
	if st.calls() != 0 {
		t.Errorf("%d calls", st.calls())
	}
}

// Throttling, server faults, lost connections and damaged answers are retried until an
// attempt succeeds.
func TestRetriesWhatMaySucceedNextTime(t *testing.T) {
	for name, first := range map[string]func(http.ResponseWriter, *http.Request){
		"throttled":          awsError(400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded."),
		"throttled (coral)":  answer(400, `{"__type":"com.amazon.coral.availability#ThrottlingException","Message":"Rate exceeded"}`),
		"request limit":      awsError(400, "RequestLimitExceeded", "Throughput exceeds the current throughput limit for your account."),
		"internal error":     awsError(500, "InternalServerError", "Internal server error"),
		"unavailable":        answer(503, `<html>Service Unavailable</html>`),
		"dropped connection": hangUp,
		"damaged answer":     damaged,
	} {
		t.Run(name, func(t *testing.T) {
			c, st := startStub(t, quickRetries, first, first, answer(200, found))
			out, err := c.GetItem(ctxT(t), getInput())
			if err != nil {
				t.Fatalf("got %v, want the third attempt's item", err)
			}
			if st.calls() != 3 || out.Item["v"] == nil {
				t.Fatalf("%d calls, item %v", st.calls(), out.Item)
			}
		})
	}
}

// A failed condition, a refused request and a ctx that ended are answers, not accidents: they
// are not retried.
func TestDoesNotRetryRefusals(t *testing.T) {
	c, st := startStub(t, quickRetries, answer(400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"PK":{"S":"a"},"v":{"N":"7"}}}`))
	_, err := c.PutItem(ctxT(t), &dynamo.PutItemInput{TableName: aws.String("t"), Item: map[string]dynamo.AttributeValue{"PK": s("a")}, ReturnValuesOnConditionCheckFailure: dynamo.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *dynamo.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("got %T %v, want a ConditionalCheckFailedException", err, err)
	}
	if !reflect.DeepEqual(ccf.Item, map[string]dynamo.AttributeValue{"PK": s("a"), "v": n("7")}) || st.calls() != 1 {
		t.Errorf("item %v after %d calls", ccf.Item, st.calls())
	}
	if !strings.HasPrefix(err.Error(), "dynamodb PutItem: ConditionalCheckFailedException") {
		t.Errorf("error %q does not name the call", err)
	}

	for _, code := range []string{"ValidationException", "ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException"} {
		c, st := startStub(t, quickRetries, awsError(400, code, "refused"))
		_, err := c.Query(ctxT(t), &dynamo.QueryInput{TableName: aws.String("t")})
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.HTTPStatusCode() != 400 || ae.Message != "refused" {
			t.Errorf("%s: got %#v", code, err)
		}
		if st.calls() != 1 {
			t.Errorf("%s: %d calls, want 1", code, st.calls())
		}
	}

	// An answer that is not JSON, with a 200, is no accident either.
	c, st = startStub(t, quickRetries, answer(200, `{"Item":`))
	if _, err := c.GetItem(ctxT(t), getInput()); err == nil || st.calls() != 1 {
		t.Errorf("malformed answer: %v after %d calls", err, st.calls())
	}
}

// The standard retryer's attempts are all there are; the error is the last attempt's.
func TestStopsAtMaxAttempts(t *testing.T) {
	for _, max := range []int{1, 3, 5} {
		c, st := startStub(t, func() aws.Retryer { return retry.AddWithMaxAttempts(quickRetries(), max) },
			awsError(400, "ThrottlingException", "Rate exceeded"))
		_, err := c.GetItem(ctxT(t), getInput())
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" {
			t.Fatalf("max %d: got %v", max, err)
		}
		if st.calls() != max {
			t.Errorf("max %d: %d calls", max, st.calls())
		}
	}
}

// With no retryer in the configuration, the client retries as the SDK's DynamoDB client does:
// four attempts.
func TestDefaultRetries(t *testing.T) {
	c, st := startStub(t, nil, awsError(500, "InternalServerError", "x"))
	if _, err := c.GetItem(ctxT(t), getInput()); err == nil {
		t.Fatal("no error")
	}
	if st.calls() != 4 {
		t.Errorf("%d calls, want 4", st.calls())
	}
}

// The delay between attempts is the retryer's, and a ctx that ends cuts it short.
func TestCancelStopsWaiting(t *testing.T) {
	slow := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Hour, nil })
		})
	}
	c, st := startStub(t, slow, awsError(500, "InternalServerError", "x"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := c.GetItem(ctx, getInput())
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting to retry after the ctx was cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want it to say the ctx was cancelled", err)
	}
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.HTTPStatusCode() != 500 {
		t.Errorf("got %v, want the attempt's error too", err)
	}
	if st.calls() != 1 {
		t.Errorf("%d calls", st.calls())
	}
	if quickRetries().IsErrorRetryable(err) {
		t.Errorf("%v would be retried", err)
	}
}

// A request whose ctx ends while it waits for DynamoDB is not retried, and costs the client's
// retry quota nothing.
func TestCancelDuringRequestIsNotRetried(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	block := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	// The quota pays for one retry after a fault (14 tokens), no more.
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.NewTokenRateLimit(14)
	})
	c, st := startStub(t, func() aws.Retryer { return retryer }, block, awsError(500, "InternalServerError", "x"), answer(200, found))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.GetItem(ctx, getInput())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v", err)
	}
	if quickRetries().IsErrorRetryable(err) {
		t.Errorf("%v would be retried", err)
	}
	if st.calls() != 1 {
		t.Errorf("%d calls", st.calls())
	}
	if _, err := c.GetItem(ctxT(t), getInput()); err != nil {
		t.Errorf("the next call's retry was not paid for: %v", err)
	}
}

// A retry spends from the client's retry quota; when it is spent, the error stands.
func TestRetryQuotaIsTheClients(t *testing.T) {
	// A quota of two throttled retries (5 tokens each), shared by every call of the client.
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 10
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.NewTokenRateLimit(10)
	})
	c, st := startStub(t, func() aws.Retryer { return retryer }, awsError(400, "ThrottlingException", "Rate exceeded"))
	_, err := c.GetItem(ctxT(t), getInput())
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("got %v", err)
	}
	if st.calls() != 3 {
		t.Errorf("%d calls, want 3 (one attempt and the two retries the quota pays for)", st.calls())
	}
	if _, err := c.GetItem(ctxT(t), getInput()); err == nil || st.calls() != 4 {
		t.Errorf("with the quota spent: %v after %d calls, want one attempt", err, st.calls())
	}
}

// No error shows the credentials, the signature or the request.
func TestErrorsHoldNoSecrets(t *testing.T) {
	for name, a := range map[string]func(http.ResponseWriter, *http.Request){
		"throttled":  awsError(400, "ThrottlingException", "Rate exceeded"),
		"validation": awsError(400, "ValidationException", "One or more parameter values were invalid"),
		"condition":  awsError(400, "ConditionalCheckFailedException", "The conditional request failed"),
		"hang up":    hangUp,
		"damaged":    damaged,
		"not JSON":   answer(200, `{"Item":{"PK":{"S":"`+secretValue+`"}`),
		"unreadable": answer(200, `{"Item":{"PK":{"Q":"`+secretValue+`"}}}`),
		"html":       answer(502, `<html>`+secretValue+`</html>`),
	} {
		c, _ := startStub(t, func() aws.Retryer { return retry.AddWithMaxAttempts(quickRetries(), 2) }, a)
		_, err := c.GetItem(ctxT(t), getInput())
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		msg := err.Error()
		for _, secret := range []string{testSecret, testSession, "Signature=", secretValue, `"Key"`} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s: error %q shows %q", name, msg, secret)
			}
		}
		if !strings.Contains(msg, "dynamodb GetItem") {
			t.Errorf("%s: error %q does not name the call", name, msg)
		}
	}
}

// An answer larger than any DynamoDB sends is not read whole.
func TestAnswerSizeIsBounded(t *testing.T) {
	declared := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(64<<20))
		_, _ = io.WriteString(w, `{"Item":`)
	}
	endless := func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"Unknown":"`)
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range 40 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}`)
	}
	for name, a := range map[string]func(http.ResponseWriter, *http.Request){"declared": declared, "endless": endless} {
		c, st := startStub(t, quickRetries, a)
		_, err := c.GetItem(ctxT(t), getInput())
		if err == nil || !strings.Contains(err.Error(), "larger than") || st.calls() != 1 {
			t.Errorf("%s: %v after %d calls", name, err, st.calls())
		}
	}
}

// One client serves many calls at once (run with -race).
func TestConcurrentCalls(t *testing.T) {
	c, st := startStub(t, quickRetries, awsError(500, "InternalServerError", "x"), answer(200, found))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			out, err := c.GetItem(ctxT(t), getInput())
			if err == nil && out.Item["v"] == nil {
				err = errors.New("no item")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if st.calls() != 17 {
		t.Errorf("%d calls, want 17 (the first failed and was retried)", st.calls())
	}
}
