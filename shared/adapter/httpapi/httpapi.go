// Package httpapi adapts the Server API's operations to API Gateway HTTP API events (payload
// format 2.0): it decodes the form body, checks the signature, runs the operation, and writes
// the JSON body and status the contract gives, logging one JSON line per request.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"imusers/shared/adapter/httpevent"
	"imusers/shared/api/call"
	"imusers/shared/apps"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
	"imusers/shared/wire/signature"
)

// Server holds what every operation shares.
type Server struct {
	Apps *apps.Registry
	// Window is how far a request's Timestamp may be from now; 0 turns the check off.
	Window time.Duration
	Now    func() time.Time
	Log    *slog.Logger
	// Nonces, when set, refuses a second request with a nonce already used (replay protection).
	Nonces NonceStore
}

// NonceStore remembers the nonces of served requests; UseNonce reports false for a nonce that
// another request used before until. owner names the request.
type NonceStore interface {
	UseNonce(ctx context.Context, app, nonce, owner string, now, until time.Time) (bool, error)
}

// Event and Response are API Gateway's payload-2.0 types.
type (
	Event    = httpevent.Event
	Response = httpevent.Response
)

// Lambda returns the Lambda handler that serves op under the given route name: aws-lambda-go
// decodes the event and encodes the response with encoding/json.
func (s *Server) Lambda(route string, op call.Handler) func(context.Context, Event) (Response, error) {
	return func(ctx context.Context, ev Event) (Response, error) {
		return s.Serve(ctx, route, op, ev), nil
	}
}

// Serve runs one request; it never fails and never panics: every fault is an error body.
func (s *Server) Serve(ctx context.Context, route string, op call.Handler, ev Event) (resp Response) {
	start := time.Now()
	headers := httpevent.Headers(ev.Headers)
	reqID := headers("x-request-id")
	var app apps.App
	code := apierr.Internal
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("panic", "route", route, "panic", fmt.Sprint(p))
			resp, code = httpevent.ErrorResponse(apierr.New(apierr.Internal, "internal error"))
		}
		if reqID != "" {
			resp.Headers["X-Request-ID"] = reqID
		}
		s.Log.Info("request", "route", route, "app", app.Key, "requestId", reqID,
			"awsRequestId", ev.RequestContext.RequestID, "status", resp.StatusCode,
			"code", code, "ms", time.Since(start).Milliseconds())
	}()
	ctx, cancel := httpevent.WithAnswerMargin(ctx)
	defer cancel()
	resp, code = s.serve(ctx, route, op, ev, headers, &app)
	return resp
}

// serve decodes, authenticates and runs; app is set as soon as the signature holds.
func (s *Server) serve(ctx context.Context, route string, op call.Handler, ev Event, headers signature.Header, app *apps.App) (Response, int) {
	body, err := decodeBody(ev)
	if err != nil {
		return s.fail(route, err)
	}
	req, err := request(body, headers("content-type"))
	if err != nil {
		return s.fail(route, err)
	}
	now := s.Now()
	*app, err = signature.Verify(headers, s.Apps, now, s.Window)
	if err != nil {
		return s.fail(route, err)
	}
	if err := s.checkNonce(ctx, app.Key, signature.NonceOf(headers), now); err != nil {
		return s.fail(route, err)
	}
	req.App = *app
	out, err := op(ctx, req)
	if err != nil {
		return s.fail(route, err)
	}
	return success(out)
}

// checkNonce records the request's nonce and refuses it if another request used it. A nonce
// is remembered for twice the window, because a request's Timestamp may run up to one window
// ahead of the clock; with the window off, for what the default window would give.
func (s *Server) checkNonce(ctx context.Context, app, nonce string, now time.Time) error {
	if s.Nonces == nil {
		return nil
	}
	keep := 2 * s.Window
	if keep == 0 {
		keep = 2 * DefaultNonceWindow
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	fresh, err := s.Nonces.UseNonce(ctx, app, nonce, hex.EncodeToString(b[:]), now, now.Add(keep))
	if err != nil {
		return err
	}
	if !fresh {
		return apierr.New(apierr.BadSignature, "nonce already used")
	}
	return nil
}

// DefaultNonceWindow is the signature window that nonce memory assumes when the window is off.
const DefaultNonceWindow = 5 * time.Minute

// request reads the body as a form, or leaves it whole for the operation when the Content-Type
// is application/json (the signature covers headers only, so it holds either way). Either
// body may be at most form.MaxBody.
func request(body, contentType string) (*call.Request, error) {
	if len(body) > form.MaxBody {
		return nil, httpevent.ErrBodyTooLarge
	}
	if media, _, _ := mime.ParseMediaType(contentType); media == "application/json" {
		return &call.Request{Params: form.NewReader(form.Values{}), JSON: []byte(body)}, nil
	}
	values, err := form.Parse(body)
	if err != nil {
		return nil, err
	}
	return &call.Request{Params: form.NewReader(values)}, nil
}

func decodeBody(ev Event) (string, error) {
	if httpevent.TooLarge(ev) {
		return "", httpevent.ErrBodyTooLarge
	}
	if !ev.IsBase64Encoded {
		return ev.Body, nil
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return "", apierr.New(apierr.BadParam, "request body is not valid base64")
	}
	return string(b), nil
}

func (s *Server) fail(route string, err error) (Response, int) {
	e := call.ToAPIError(err)
	if e.Code == apierr.Internal || e.Code == apierr.Timeout {
		s.Log.Error("operation failed", "route", route, "error", err.Error())
	}
	return httpevent.ErrorResponse(e)
}

// success is the answer with the operation's fields after "code":200, which clients see first.
func success(out any) (Response, int) {
	body := `{"code":200}`
	if out != nil {
		fields, err := json.Marshal(out)
		if err != nil || len(fields) < 2 || fields[0] != '{' {
			return httpevent.ErrorResponse(apierr.New(apierr.Internal, "internal error"))
		}
		if len(fields) > 2 { // not {}
			// One copy of the fields, straight into the response's string body.
			body = `{"code":200,` + string(fields[1:])
		}
	}
	return httpevent.JSONResponse(http.StatusOK, body), apierr.OK
}
