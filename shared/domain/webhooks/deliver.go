package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"imusers/shared/apps"
)

// Timeout is how long a receiver has to answer one request.
const Timeout = 5 * time.Second

// Delivery rules: how long an event is retried, and the waits between its attempts (then
// hourly), each jittered by up to a fifth either way.
var (
	RetryFor = 24 * time.Hour
	backoff  = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute}
)

// NextAttempt is when to try an event again after its attempt number attempt (1…) failed, and
// whether that is still within RetryFor of its first attempt.
func NextAttempt(attempt int, first, now time.Time) (time.Time, bool) {
	wait := time.Hour
	if attempt-1 < len(backoff) {
		wait = backoff[attempt-1]
	}
	wait += time.Duration((rand.Float64()*0.4 - 0.2) * float64(wait))
	next := now.Add(wait)
	return next, next.Sub(first) <= RetryFor
}

// Outcome is what became of one attempt.
type Outcome int

const (
	Delivered Outcome = iota // the receiver answered 2xx
	Retry                    // a network error, a timeout, 408, 429 or 5xx: try again later
	Refused                  // any other answer: the event goes to the dead-letter store
)

// outcomeOf judges a receiver's answer.
func outcomeOf(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return Retry
	}
	return Refused
}

// Sender sends events to the App Server.
type Sender struct {
	client *http.Client
	now    func() time.Time
}

// NewSender makes a Sender whose connections obey p: in AWS every address is checked after DNS
// resolution, so no name can lead a request into the VPC or to the instance metadata. Redirects
// are not followed (a 3xx is a refusal), and no proxy from the environment is used.
func NewSender(p Policy, now func() time.Time) *Sender {
	dialer := &net.Dialer{Timeout: Timeout, Control: p.control}
	return &Sender{now: now, client: &http.Client{
		Timeout:       Timeout,
		Transport:     &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// errInternalAddress refuses a connection to an address inside a network.
var errInternalAddress = errors.New("the webhook's address is private, loopback or link-local")

// control runs before each connection, on the address DNS gave.
func (p Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !p.dialable(ap.Addr()) {
		return errInternalAddress
	}
	return nil
}

// Attempt is one try of an event: the outcome and, for the log, what the receiver answered.
type Attempt struct {
	Outcome Outcome
	Status  int   // the HTTP status; 0 when none came
	Err     error // the network fault, if any (never holds the URL's signature)
}

// Send makes attempt number attempt of an event to target, signed with the app's secret.
func (s *Sender) Send(ctx context.Context, app apps.App, format, target string, ev Event, attempt int) Attempt {
	req, err := Request(ctx, app, format, target, ev, attempt, s.now())
	if err != nil {
		return Attempt{Outcome: Refused, Err: err}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// The error would quote the URL, signature and all: keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Attempt{Outcome: Retry, Err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return Attempt{Outcome: outcomeOf(resp.StatusCode), Status: resp.StatusCode}
}

// Request builds one attempt's request: the body in the format, the platform's signature on
// the URL (appKey, nonce, signTimestamp, signature = hex SHA1 of secret, nonce and timestamp),
// and ours over the body in X-Webhook-Signature-256 (hex HMAC-SHA256 with the secret of
// signTimestamp + "." + body), with the event's id and the attempt's number.
func Request(ctx context.Context, app apps.App, format, target string, ev Event, attempt int, now time.Time) (*http.Request, error) {
	body, contentType, err := Body(format, ev)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("webhook URL: %w", err)
	}
	nonce, ts := NewID()[:18], strconv.FormatInt(now.UnixMilli(), 10)
	q := u.Query()
	q.Set("appKey", app.Key)
	q.Set("nonce", nonce)
	q.Set("signTimestamp", ts)
	q.Set("signature", URLSignature(app.Secret, nonce, ts))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Webhook-Id", ev.ID)
	req.Header.Set("X-Webhook-Attempt", strconv.Itoa(attempt))
	req.Header.Set("X-Webhook-Signature-256", BodySignature(app.Secret, ts, body))
	return req, nil
}

// URLSignature is the platform's callback signature.
func URLSignature(secret, nonce, ts string) string {
	sum := sha1.Sum([]byte(secret + nonce + ts))
	return hex.EncodeToString(sum[:])
}

// BodySignature is ours, over the body the platform's signature leaves out.
func BodySignature(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
