package connections

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"imusers/shared/awserr"
	"imusers/shared/awsretry"
)

// Error is a Management API call that failed; one that found the connection gone also matches
// ErrGone.
type Error = awserr.Error

// An error answer is a short JSON document; more than this is not the Management API's.
const maxAnswer = 64 << 10

// Client calls the Management API of one connection API. The SDK's Management API client would
// make the same two calls, but every function's cold start would pay its package init (the
// client, its schemas and endpoint rules) for two REST calls; so they are made here,
// SigV4-signed with the SDK's own signer and credentials and retried by the SDK's retryer.
type Client struct {
	cfg      aws.Config
	endpoint *url.URL
	// badEndpoint is why the endpoint cannot be called; every call answers it.
	badEndpoint error
	// retryer is made once, as the SDK's clients make theirs, so its retry quota is shared by
	// all of a function's calls: when the API fails for all of them, retries stop adding load.
	retryer aws.Retryer
}

var _ API = (*Client)(nil)

// NewClient is a client of endpoint, the connection API's management URL with its stage
// (https://{api}.execute-api.{region}.amazonaws.com/{stage}, or the local gateway's URL),
// that signs with cfg's credentials for cfg's region, sends with its HTTP client and retries
// with its retryer. As with the SDK's client, an endpoint that is not an http(s) URL fails
// each call rather than the building of the service, whose kicks are all that need it.
func NewClient(cfg aws.Config, endpoint string) *Client {
	c := &Client{cfg: cfg}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		c.badEndpoint = fmt.Errorf("endpoint %q is not an http(s) URL", endpoint)
	} else {
		u.RawQuery, u.Fragment = "", ""
		c.endpoint = u
	}
	if c.cfg.HTTPClient == nil {
		c.cfg.HTTPClient = awshttp.NewBuildableClient()
	}
	if cfg.Retryer != nil {
		c.retryer = cfg.Retryer()
	}
	if c.retryer == nil {
		c.retryer = retry.NewStandard()
	}
	return c
}

// Post sends data to a connection as one frame (PostToConnection). A frame goes at most once:
// it is sent again only after an answer that says it was not delivered (throttling) or when
// the endpoint could not be reached at all; after a lost answer, a timeout or a server fault it
// may have reached the client, so the call fails instead.
func (c *Client) Post(ctx context.Context, connID string, data []byte) error {
	return c.call(ctx, http.MethodPost, "PostToConnection", connID, data, false)
}

// Delete closes a connection (DeleteConnection); API Gateway then runs its $disconnect route.
func (c *Client) Delete(ctx context.Context, connID string) error {
	return c.call(ctx, http.MethodDelete, "DeleteConnection", connID, nil, true)
}

// call makes one Management API call, retried on throttling, server faults and lost
// connections while the retryer allows; a call that is not repeatable only when it surely did
// nothing (unsent). A gone connection and the API's other refusals are final. Errors name the call and the connection, AWS's code and message, never the data, the
// credentials or the signature.
func (c *Client) call(ctx context.Context, method, operation, connID string, data []byte, repeatable bool) error {
	op := "execute-api " + operation + " " + connID
	switch {
	case c.badEndpoint != nil:
		return fmt.Errorf("%s: %w", op, c.badEndpoint)
	case connID == "":
		return errors.New("execute-api " + operation + ": no connection id")
	case c.cfg.Region == "":
		return errors.New(op + ": no AWS region (AWS_REGION)")
	case c.cfg.Credentials == nil:
		return errors.New(op + ": the AWS configuration has no credentials")
	}
	attempted := false
	err := awsretry.Do(ctx, c.retryer, func(err error) bool { return !final(err) && (repeatable || unsent(err)) },
		func() error {
			attempted = true
			return c.attempt(ctx, method, op, connID, data)
		})
	if err != nil && !attempted { // ctx ended first, or the retryer gave no leave
		return &Error{Op: op, Cause: err}
	}
	return err
}

// final tells a refusal, which asking again would only repeat, from a failure that may pass:
// the Management API throttles with 429, and answers 410 for a gone connection, 403 for a
// call it does not allow, 413 for too much data and 400 for a malformed call.
func final(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	return errors.Is(err, ErrGone) || e.Status >= 400 && e.Status < 500 && e.Status != http.StatusTooManyRequests
}

// unsent tells a failed call that surely did nothing: refused by throttling before any work, or
// never connected to the endpoint.
func unsent(err error) bool {
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusTooManyRequests {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func (c *Client) attempt(ctx context.Context, method, op, connID string, data []byte) error {
	u := *c.endpoint
	// The stage stays before @connections; the id is one path segment, escaped by the SDK's
	// own path-label escaping (all but RFC 3986's unreserved characters), so an id such as
	// "L0SM9cOFvHcCIhw=" goes out as ".../@connections/L0SM9cOFvHcCIhw%3D", as the SDK's client
	// sent it, and the signer signs that same path.
	rawPath := strings.TrimSuffix(u.EscapedPath(), "/") + "/@connections/" + httpbinding.EscapePath(connID, true)
	p, err := url.PathUnescape(rawPath)
	if err != nil {
		return &Error{Op: op, Cause: err}
	}
	u.Path, u.RawPath = p, rawPath
	var body io.Reader
	if method == http.MethodPost {
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return &Error{Op: op, Cause: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("%s: credentials: %w", op, err)
	}
	sum := sha256.Sum256(data)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "execute-api", c.cfg.Region, time.Now()); err != nil {
		return fmt.Errorf("%s: signing: %w", op, err)
	}
	res, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		// The transport's error names the URL (the endpoint and the id) and what failed.
		return &Error{Op: op, Cause: err, Connection: ctx.Err() == nil}
	}
	defer res.Body.Close()
	// Read to the end (within reason), so the connection is reused. A broken error answer
	// still has its status, which is what decides.
	raw, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if res.StatusCode >= 200 && res.StatusCode <= 299 {
		return nil
	}
	return answerError(op, res, raw)
}

// answerError is the error of the Management API's error answer: ErrGone for a gone
// connection (410, GoneException), else AWS's code and message.
func answerError(op string, res *http.Response, raw []byte) error {
	e := awserr.FromAnswer(op, res, raw)
	if res.StatusCode == http.StatusGone || strings.EqualFold(e.Code, "GoneException") {
		e.Cause = ErrGone
	}
	return e
}
