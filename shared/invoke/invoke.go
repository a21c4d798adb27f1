// Package invoke runs Lambda functions through Lambda's Invoke API. The SDK's Lambda client
// would do the same, but its package init (the client, its schemas and endpoint rules) is paid
// by every cold start of every function, for one REST call; so the call is made here,
// SigV4-signed with the SDK's own signer and credentials, retried by the SDK's retryer.
package invoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Invoker runs a function: asynchronously (Lambda queues the event and answers at once) or
// synchronously (Lambda answers with the function's result).
type Invoker interface {
	Invoke(ctx context.Context, function string, async bool, payload []byte) (Result, error)
}

// Result is Lambda's answer to an invocation it accepted.
type Result struct {
	// Status is the HTTP status: 202 for a queued event, 200 for a run function.
	Status int
	// FunctionError is set when a synchronously run function failed ("Unhandled", or what the
	// function reported); Payload then describes the failure.
	FunctionError string
	// Payload is a synchronous invocation's result.
	Payload []byte
}

// A synchronous invocation's result is at most 6 MB; an answer far larger is not Lambda's.
const maxAnswer = 7 << 20

// Client invokes functions at one Lambda endpoint.
type Client struct {
	cfg      aws.Config
	endpoint *url.URL
	// once sends synchronous invocations: the configured client without its per-attempt
	// timeout, which suits a DynamoDB call, not a function that may take its whole timeout.
	once aws.HTTPClient
}

var _ Invoker = (*Client)(nil)

// New is a client of the Lambda endpoint (for example service.LambdaEndpoint's, or a local
// gateway's URL) that signs with cfg's credentials for cfg's region and sends with its HTTP
// client, retrying asynchronous invocations with its retryer.
func New(cfg aws.Config, endpoint string) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("lambda Invoke: endpoint %q is not an http(s) URL", endpoint)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = awshttp.NewBuildableClient()
	}
	once := cfg.HTTPClient
	if c, ok := once.(*awshttp.BuildableClient); ok {
		once = c.WithTimeout(0)
	}
	return &Client{cfg: cfg, endpoint: u, once: once}, nil
}

// Invoke runs function with payload. An asynchronous invocation is retried on throttling,
// server faults and network errors, as Lambda's queue makes a repeated event harmless to ask
// for; a synchronous one is attempted once, because an attempt whose answer was lost may have
// run the function, and is bounded by ctx alone. Errors name the function and AWS's error code
// and message, never the payload, the credentials or the signature.
func (c *Client) Invoke(ctx context.Context, function string, async bool, payload []byte) (Result, error) {
	if function == "" {
		return Result{}, errors.New("lambda Invoke: no function name")
	}
	if c.cfg.Region == "" {
		return Result{}, errors.New("lambda Invoke: no AWS region (AWS_REGION)")
	}
	if c.cfg.Credentials == nil {
		return Result{}, errors.New("lambda Invoke: the AWS configuration has no credentials")
	}
	if !async {
		return c.attempt(ctx, c.once, function, "RequestResponse", payload)
	}
	var r aws.Retryer = retry.NewStandard()
	if c.cfg.Retryer != nil {
		r = c.cfg.Retryer()
	}
	for attempt := 1; ; attempt++ {
		res, err := c.attempt(ctx, c.cfg.HTTPClient, function, "Event", payload)
		if err == nil {
			return res, nil
		}
		if attempt >= r.MaxAttempts() || !r.IsErrorRetryable(err) {
			return Result{}, err
		}
		wait, derr := r.RetryDelay(attempt, err)
		if derr != nil {
			return Result{}, err
		}
		select {
		case <-ctx.Done():
			return Result{}, err
		case <-time.After(wait):
		}
	}
}

func (c *Client) attempt(ctx context.Context, client aws.HTTPClient, function, kind string, payload []byte) (Result, error) {
	u := *c.endpoint
	u.RawQuery, u.Fragment = "", ""
	// The name may be an ARN or carry a qualifier; escaped whole, it stays one path segment.
	rawPath := strings.TrimSuffix(u.EscapedPath(), "/") + "/2015-03-31/functions/" + escape(function) + "/invocations"
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return Result{}, &Error{Function: function, cause: err}
	}
	u.Path, u.RawPath = p, rawPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return Result{}, &Error{Function: function, cause: err}
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-Amz-Invocation-Type", kind)
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("lambda Invoke %s: credentials: %w", function, err)
	}
	sum := sha256.Sum256(payload)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", c.cfg.Region, time.Now()); err != nil {
		return Result{}, fmt.Errorf("lambda Invoke %s: signing: %w", function, err)
	}
	res, err := client.Do(req)
	if err != nil {
		// The transport's error names the URL (the endpoint and the function) and what failed.
		return Result{}, &Error{Function: function, cause: err, connection: true}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return Result{}, &Error{Function: function, Status: res.StatusCode, cause: err}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return Result{}, answerError(function, res, raw)
	}
	return Result{Status: res.StatusCode, FunctionError: res.Header.Get("X-Amz-Function-Error"), Payload: raw}, nil
}

// escape percent-encodes everything in s but RFC 3986's unreserved characters, as the SDK
// does for a path label.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_' || ch == '.' || ch == '~' {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// Error is an invocation Lambda refused or that failed on the way. ErrorCode and
// HTTPStatusCode are what the SDK's retryer reads to tell throttling and server faults
// (retried) from refusals (not retried).
type Error struct {
	Function string
	// Status is the HTTP status of Lambda's answer (0 when none came).
	Status int
	// Code and Message are AWS's: "ResourceNotFoundException", "TooManyRequestsException", …
	Code, Message string
	cause         error
	// connection is a request that got no answer: the retryer retries it, as the SDK does.
	connection bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lambda Invoke %s: ", e.Function)
	switch {
	case e.cause != nil:
		b.WriteString(e.cause.Error())
	case e.Code != "":
		fmt.Fprintf(&b, "%s (HTTP %d)", e.Code, e.Status)
	default:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error         { return e.cause }
func (e *Error) ErrorCode() string     { return e.Code }
func (e *Error) HTTPStatusCode() int   { return e.Status }
func (e *Error) ConnectionError() bool { return e.connection }

// answerError reads Lambda's error: its code in the X-Amzn-ErrorType header ("Code:uri"),
// the message in the JSON body ({"Type": "User", "message": "…"}). Lambda's body "Type" is
// only whose fault it was, so it is the code only when nothing better came.
func answerError(function string, res *http.Response, raw []byte) error {
	var body struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Fault    string `json:"Type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(raw, &body)
	code := res.Header.Get("X-Amzn-ErrorType")
	for _, c := range []string{body.Type, body.Code, body.Fault} {
		if code == "" {
			code = c
		}
	}
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	msg := body.Message
	if msg == "" {
		msg = body.MessageU
	}
	return &Error{Function: function, Status: res.StatusCode, Code: printable(code, 100), Message: printable(msg, 300)}
}

// printable keeps an error text on one line and short.
func printable(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}
