package webhooks

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"syscall"

	"imusers/shared/apps"
)

// Test is our event type for trying a receiver: sent when the operator asks, to webhookUrl,
// once, whatever event types the app chose. Its data is {"message":"test"}.
const Test = "webhook:test"

// ErrNoURL: the app has no webhookUrl to send a test event to.
var ErrNoURL = errors.New("no webhook url is set")

// TestResult is what became of a test event: whether the receiver took it, the HTTP status it
// answered (0 when none came), and, when it was not delivered, a short reason that names no
// address, URL or signature.
type TestResult struct {
	Delivered bool
	Status    int
	Reason    string
}

// SendTest sends one test event to app's webhookUrl at once: one attempt, with the usual
// signatures, timeout and address rules, paused or not; nothing is kept for a retry. A test
// event that fails does not count towards the pause; one delivered ends it.
func (w *Worker) SendTest(ctx context.Context, app apps.App) (TestResult, error) {
	cur, err := w.Store.GetAppSettings(ctx, app.Key)
	if err != nil {
		return TestResult{}, err
	}
	s := Settings(cur.Webhook)
	if s.URL == "" {
		return TestResult{}, ErrNoURL
	}
	now := w.Now().UnixMilli()
	ev := Event{ID: NewID(), Type: Test, Time: now}
	a := w.Sender.Send(ctx, app, s.EffectiveFormat(), s.URL, ev, 1)
	log := w.Log.With("appKey", app.Key, "type", Test, "id", ev.ID, "status", a.Status)
	if a.Outcome == Delivered {
		log.Info("webhook test delivered")
		// A receiver that takes the test event takes the others: paused deliveries resume.
		return TestResult{Delivered: true, Status: a.Status}, w.succeeded(ctx, app.Key, &s)
	}
	r := TestResult{Status: a.Status, Reason: reason(a)}
	log.Warn("webhook test not delivered", "reason", r.Reason)
	return r, nil
}

// reason says in a few words why an attempt failed, for the operator who asked for the test.
// The network error itself is not quoted: it would name the address the host resolved to.
func reason(a Attempt) string {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case a.Status != 0:
		return fmt.Sprintf("the receiver answered HTTP %d", a.Status)
	case errors.Is(a.Err, errInternalAddress):
		return "the address is private, loopback or link-local"
	case errors.As(a.Err, &dnsErr):
		return "the host name did not resolve"
	case errors.Is(a.Err, syscall.ECONNREFUSED):
		return "the connection was refused"
	case errors.As(a.Err, &certErr):
		return "the receiver's certificate was not accepted"
	case errors.As(a.Err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer within %s", Timeout)
	case a.Err == nil:
		return "the receiver's answer was not read"
	}
	return "the request failed"
}
