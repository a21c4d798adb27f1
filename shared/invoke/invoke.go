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
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"imusers/shared/awserr"
	"imusers/shared/awsretry"
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
	// retryer is made once, as the SDK's clients make theirs, so its state (an adaptive
	// retryer's rate limit) is shared by all of a function's invocations.
	retryer aws.Retryer
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
	var r aws.Retryer = retry.NewStandard()
	if cfg.Retryer != nil {
		r = cfg.Retryer()
	}
	return &Client{cfg: cfg, endpoint: u, once: once, retryer: r}, nil
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
	var res Result
	attempted := false
	err := awsretry.Do(ctx, c.retryer, nil, func() (err error) {
		attempted = true
		res, err = c.attempt(ctx, c.cfg.HTTPClient, function, "Event", payload)
		return err
	})
	if err != nil && !attempted { // ctx ended first, or the retryer gave no leave
		return Result{}, &Error{Op: op(function), Cause: err}
	}
	return res, err
}

func (c *Client) attempt(ctx context.Context, client aws.HTTPClient, function, kind string, payload []byte) (Result, error) {
	u := *c.endpoint
	u.RawQuery, u.Fragment = "", ""
	// The name may be an ARN or carry a qualifier; escaped whole, it stays one path segment.
	rawPath := strings.TrimSuffix(u.EscapedPath(), "/") + "/2015-03-31/functions/" + escape(function) + "/invocations"
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return Result{}, &Error{Op: op(function), Cause: err}
	}
	u.Path, u.RawPath = p, rawPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(payload))
	if err != nil {
		return Result{}, &Error{Op: op(function), Cause: err}
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
		return Result{}, &Error{Op: op(function), Cause: err, Connection: true}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return Result{}, &Error{Op: op(function), Status: res.StatusCode, Cause: err}
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return Result{}, awserr.FromAnswer(op(function), res, raw)
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

// Error is an invocation Lambda refused or that failed on the way.
type Error = awserr.Error

// op names an invocation in its errors.
func op(function string) string { return "lambda Invoke " + function }
