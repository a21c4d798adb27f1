package dynamo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"imusers/shared/awserr"
	"imusers/shared/awsretry"
)

// maxAnswer bounds how much of an answer is read. DynamoDB returns at most 1 MB of items per
// Query page and 16 MB per BatchGetItem, and this service's items are a few KB, so its answers
// are a few MB at most even in JSON (type tags, quotes, base64); 32 MiB leaves room for any
// DynamoDB answer of ordinary items and still stops a broken endpoint from filling memory.
const maxAnswer = 32 << 20

// Error is a call DynamoDB refused (but for a failed condition) or that failed on the way.
type Error = awserr.Error

// Client calls DynamoDB at one endpoint. It is safe for concurrent use.
//
// The strings of an output (names and values) share one copy of DynamoDB's answer: keeping
// one of them past the request keeps that answer in memory.
type Client struct {
	endpoint string
	region   string
	creds    aws.CredentialsProvider
	http     aws.HTTPClient
	signer   *v4.Signer
	// retryer is shared by every call, as in the SDK's client: its retry quota is the
	// client's, so a DynamoDB that keeps failing is not asked again and again by every call.
	retryer aws.Retryer
}

// New is a client of the DynamoDB endpoint (a URL such as
// https://dynamodb.eu-west-1.amazonaws.com/ or a local dynalite's) that signs with cfg's
// credentials for cfg's region, sends with its HTTP client and retries with its retryer (by
// default the SDK's standard one with DynamoDB's settings: four attempts, 25 ms base delay).
func New(cfg aws.Config, endpoint string) (*Client, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("dynamodb: endpoint %q is not an http(s) URL", endpoint)
	}
	u.RawQuery, u.Fragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	c := &Client{
		endpoint: u.String(),
		region:   cfg.Region,
		creds:    cfg.Credentials,
		http:     cfg.HTTPClient,
		signer:   v4.NewSigner(),
	}
	if c.http == nil {
		c.http = awshttp.NewBuildableClient()
	}
	switch {
	case cfg.Retryer != nil:
		c.retryer = cfg.Retryer()
	case cfg.RetryMode == aws.RetryModeAdaptive:
		c.retryer = retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, dynamoRetries)
		})
	default:
		c.retryer = retry.NewStandard(dynamoRetries)
	}
	if cfg.RetryMaxAttempts != 0 {
		c.retryer = retry.AddWithMaxAttempts(c.retryer, cfg.RetryMaxAttempts)
	}
	return c, nil
}

// dynamoRetries are the SDK DynamoDB client's own defaults.
func dynamoRetries(o *retry.StandardOptions) {
	o.MaxAttempts = 4
	o.BaseDelay = 25 * time.Millisecond
}

// GetItem reads one item; Item is nil when there is none.
func (c *Client) GetItem(ctx context.Context, in *GetItemInput) (*GetItemOutput, error) {
	out := new(GetItemOutput)
	if err := c.call(ctx, "GetItem", in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// PutItem writes one item. A false condition is a *ConditionalCheckFailedException (found with
// errors.As), holding the item when the input asked for it.
func (c *Client) PutItem(ctx context.Context, in *PutItemInput) (*PutItemOutput, error) {
	out := new(PutItemOutput)
	if err := c.call(ctx, "PutItem", in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateItem changes or creates one item. A false condition is a
// *ConditionalCheckFailedException (found with errors.As).
func (c *Client) UpdateItem(ctx context.Context, in *UpdateItemInput) (*UpdateItemOutput, error) {
	out := new(UpdateItemOutput)
	if err := c.call(ctx, "UpdateItem", in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteItem deletes one item. A false condition is a *ConditionalCheckFailedException (found
// with errors.As).
func (c *Client) DeleteItem(ctx context.Context, in *DeleteItemInput) (*DeleteItemOutput, error) {
	out := new(DeleteItemOutput)
	if err := c.call(ctx, "DeleteItem", in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Query reads one page of a partition (of the table or an index).
func (c *Client) Query(ctx context.Context, in *QueryInput) (*QueryOutput, error) {
	out := new(QueryOutput)
	if err := c.call(ctx, "Query", in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// BatchGetItem reads up to 100 items; those DynamoDB did not get to are in UnprocessedKeys.
func (c *Client) BatchGetItem(ctx context.Context, in *BatchGetItemInput) (*BatchGetItemOutput, error) {
	out := new(BatchGetItemOutput)
	if err := c.call(ctx, "BatchGetItem", in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// BatchWriteItem puts and deletes up to 25 items; those DynamoDB did not get to are in
// UnprocessedItems.
func (c *Client) BatchWriteItem(ctx context.Context, in *BatchWriteItemInput) (*BatchWriteItemOutput, error) {
	out := new(BatchWriteItemOutput)
	if err := c.call(ctx, "BatchWriteItem", in, out); err != nil {
		return nil, err
	}
	return out, nil
}

// request is an input that writes itself as a request body.
type request interface{ encode(*encoder) }

// call sends action with in's body, retrying as the SDK's retry middleware does, and reads the
// answer into out. Its errors name the action and AWS's code and message, never the request,
// the credentials or the signature.
func (c *Client) call(ctx context.Context, action string, in request, out answer) error {
	op := "dynamodb " + action
	if c.region == "" {
		return errors.New(op + ": no AWS region (AWS_REGION)")
	}
	if c.creds == nil {
		return errors.New(op + ": the AWS configuration has no credentials")
	}
	e := encoder{b: make([]byte, 0, 1024)}
	in.encode(&e)
	if e.err != nil {
		return fmt.Errorf("%s: %w", op, e.err)
	}
	sum := sha256.Sum256(e.b)
	payloadHash := hex.EncodeToString(sum[:])

	var raw []byte
	attempted := false
	err := awsretry.Do(ctx, c.retryer, nil, func() (err error) {
		attempted = true
		raw, err = c.attempt(ctx, op, action, e.b, payloadHash)
		return err
	})
	switch {
	case err == nil:
		if err := decode(raw, out); err != nil {
			return &Error{Op: op, Status: http.StatusOK, Cause: err}
		}
		return nil
	case !attempted: // ctx ended first, or the retryer gave no leave
		return &Error{Op: op, Cause: err}
	default: // the attempts' errors name the call already
		return err
	}
}

// attempt sends the request once and returns the answer's body when DynamoDB accepted it.
func (c *Client) attempt(ctx context.Context, op, action string, body []byte, payloadHash string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Op: op, Cause: err}
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+action)
	// Without it Go's transport would ask for gzip and unpack it, and the X-Amz-Crc32 checksum
	// (of the bytes sent) could not be checked; the SDK's client asks for identity too.
	req.Header.Set("Accept-Encoding", "identity")
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		return nil, &Error{Op: op, Cause: fmt.Errorf("credentials: %w", err)}
	}
	if err := c.signer.SignHTTP(ctx, creds, req, payloadHash, "dynamodb", c.region, time.Now()); err != nil {
		return nil, &Error{Op: op, Cause: fmt.Errorf("signing: %w", err)}
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, sendError(ctx, op, 0, err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	if n := res.ContentLength; n > maxAnswer {
		return nil, &Error{Op: op, Status: res.StatusCode, Cause: errTooLarge}
	} else if n > 0 {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(res.Body, maxAnswer+1)); err != nil {
		return nil, sendError(ctx, op, res.StatusCode, err)
	}
	raw := buf.Bytes()
	if len(raw) > maxAnswer {
		return nil, &Error{Op: op, Status: res.StatusCode, Cause: errTooLarge}
	}
	if sent := res.Header.Get("X-Amz-Crc32"); sent != "" {
		if err := checkCRC32(sent, raw); err != nil {
			return nil, &Error{Op: op, Status: res.StatusCode, Cause: err}
		}
	}
	if res.StatusCode >= 300 {
		return nil, decodeError(op, res, raw)
	}
	return raw, nil
}

var errTooLarge = errors.New("the answer is larger than 32 MiB, more than DynamoDB sends")

// sendError is a request that got no answer, or only part of one: a connection error, which
// the retryer retries, unless ctx ended, which it does not.
func sendError(ctx context.Context, op string, status int, err error) error {
	if ctx.Err() != nil {
		return &Error{Op: op, Status: status, Cause: &aws.RequestCanceledError{Err: err}}
	}
	return &Error{Op: op, Status: status, Cause: err, Connection: true}
}

// checksumError is an answer whose body does not match its X-Amz-Crc32 header: it was damaged
// on the way, and asking again is worth it.
type checksumError struct{ sent, got uint32 }

func (e *checksumError) Error() string {
	return fmt.Sprintf("the answer does not match its X-Amz-Crc32 checksum (sent %d, computed %d)", e.sent, e.got)
}

// RetryableError tells the SDK's retryer to retry.
func (e *checksumError) RetryableError() bool { return true }

// checkCRC32 compares the CRC32 (IEEE) of body with the decimal header value DynamoDB sent.
// A header that is not a number counts as damaged too.
func checkCRC32(header string, body []byte) error {
	got := crc32.ChecksumIEEE(body)
	sent, err := strconv.ParseUint(header, 10, 32)
	if err != nil || uint32(sent) != got {
		return &checksumError{sent: uint32(sent), got: got}
	}
	return nil
}
