// Package v4client is a typed client of the v4 Server API, written against
// docs/openapi-v4.yaml: one method per operation, its request and result as Go types, signed
// as the platform's official v4 SDKs sign (millisecond Timestamp, X-Request-ID). Tests use it
// to drive the service the way an App Server does.
package v4client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"imusers/shared/apps"
	"imusers/shared/wire/signature"
)

// Client calls one app's v4 Server API.
type Client struct {
	BaseURL string
	App     apps.App
	HTTP    *http.Client
	// Now gives the signing time (time.Now when nil).
	Now func() time.Time
}

// Error is an answer other than success: its HTTP status and the body's code and message, and
// the hosted-profile key at fault when the answer names one.
type Error struct {
	Status     int
	Code       int
	Message    string
	ProfileKey string
}

func (e *Error) Error() string {
	return fmt.Sprintf("HTTP %d, code %d: %s", e.Status, e.Code, e.Message)
}

// Post sends body (any value encoding/json encodes, or raw bytes) to path, signed, with the
// content type given, and decodes the success's result into result; nil result: the answer
// must carry none.
func (c *Client) Post(ctx context.Context, path, contentType string, body, result any) error {
	raw, err := c.Call(ctx, path, contentType, body)
	switch {
	case err != nil:
		return err
	case result == nil && raw != nil:
		return fmt.Errorf("answer carries a result where the document gives none: %s", raw)
	case result == nil:
		return nil
	case raw == nil:
		return fmt.Errorf("answer has no result")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // the result is exactly the document's
	return dec.Decode(result)
}

// Call sends body to path as Post does, and returns the success's result as sent (nil when
// none).
func (c *Client) Call(ctx context.Context, path, contentType string, body any) (json.RawMessage, error) {
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+path, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	c.sign(req.Header)
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return decode(res.StatusCode, answer)
}

// sign adds the signature headers as the official v4 SDKs send them: a decimal nonce below
// 10^18, a millisecond timestamp, and a fresh request ID.
func (c *Client) sign(h http.Header) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	nonce := strconv.FormatUint(binary.BigEndian.Uint64(b[:8])%1e18, 10)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	h.Set("App-Key", c.App.Key)
	h.Set("Nonce", nonce)
	h.Set("Timestamp", ts)
	h.Set("Signature", signature.Sign(c.App.Secret, nonce, ts))
	h.Set("X-Request-ID", hex.EncodeToString(b[8:]))
}

// decode reads an answer: {"code":0[,"result":…]} with HTTP 200, or an Error.
func decode(status int, answer []byte) (json.RawMessage, error) {
	var env struct {
		Code       *int            `json:"code"`
		Message    string          `json:"errorMessage"`
		ProfileKey string          `json:"profileKey"`
		Result     json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(answer, &env); err != nil || env.Code == nil {
		return nil, fmt.Errorf("HTTP %d: answer is not the contract's JSON: %q", status, answer)
	}
	if status != http.StatusOK || *env.Code != 0 {
		return nil, &Error{Status: status, Code: *env.Code, Message: env.Message, ProfileKey: env.ProfileKey}
	}
	return env.Result, nil
}

// call posts a JSON request to path and decodes its result.
func call[R any](ctx context.Context, c *Client, path string, req any) (*R, error) {
	var out R
	if err := c.Post(ctx, path, "application/json", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// do posts a JSON request to path, for calls that answer no result.
func do(ctx context.Context, c *Client, path string, req any) error {
	return c.Post(ctx, path, "application/json", req, nil)
}
