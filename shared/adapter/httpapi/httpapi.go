// Package httpapi adapts the Server API's operations to API Gateway HTTP API events (payload
// format 2.0): it checks the signature, decodes the body (a v1 form, or on a v4 path the JSON
// body the operation's v4 form declares, call.V4Form), runs the operation, and writes the
// JSON body and status the contract gives, logging one JSON line per request.
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
	"imusers/shared/wire/jsonbody"
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

// Lambda returns the Lambda handler that serves op under the given route name, on its v1 paths
// and, through its v4 form when it has one (v4 not nil), on its v4 paths: aws-lambda-go
// decodes the event and encodes the response with encoding/json.
func (s *Server) Lambda(route string, op call.Handler, v4 *call.V4Form) func(context.Context, Event) (Response, error) {
	return func(ctx context.Context, ev Event) (Response, error) {
		if v4 != nil && call.IsV4(requestPath(ev)) {
			return s.ServeV4(ctx, route, v4, op, ev), nil
		}
		return s.Serve(ctx, route, op, ev), nil
	}
}

// requestPath is the path the request was sent to.
func requestPath(ev Event) string {
	if ev.RawPath != "" {
		return ev.RawPath
	}
	return ev.RequestContext.HTTP.Path
}

// Serve runs one v1 request; it never fails and never panics: every fault is an error body.
func (s *Server) Serve(ctx context.Context, route string, op call.Handler, ev Event) Response {
	return s.handle(ctx, route, ev, func(ctx context.Context, headers signature.Header, app *apps.App) (Response, int) {
		return s.serve(ctx, route, op, ev, headers, app)
	})
}

// ServeV4 runs one request of op's v4 form f, as Serve does.
func (s *Server) ServeV4(ctx context.Context, route string, f *call.V4Form, op call.Handler, ev Event) Response {
	return s.handle(ctx, route, ev, func(ctx context.Context, headers signature.Header, app *apps.App) (Response, int) {
		return s.serveV4(ctx, route, f, op, ev, headers, app)
	})
}

// handle is what every request shares, whichever API: the panic guard, the request ID, the
// time kept back for answering and the log line.
func (s *Server) handle(ctx context.Context, route string, ev Event, serve func(context.Context, signature.Header, *apps.App) (Response, int)) (resp Response) {
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
	resp, code = serve(ctx, headers, &app)
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
	if err := s.authenticate(ctx, headers, app); err != nil {
		return s.fail(route, err)
	}
	req.App = *app
	out, err := op(ctx, req)
	if err != nil {
		return s.fail(route, err)
	}
	return success(out)
}

// serveV4 authenticates, then decodes the JSON body against f and runs op; errors name f's
// fields.
func (s *Server) serveV4(ctx context.Context, route string, f *call.V4Form, op call.Handler, ev Event, headers signature.Header, app *apps.App) (Response, int) {
	values, err := s.v4Params(ctx, f, ev, headers, app)
	if err != nil {
		return s.fail(route, err)
	}
	out, err := op(ctx, &call.Request{App: *app, Params: form.NewReader(values), Wire: call.V4})
	if err != nil {
		return httpevent.ErrorResponse(f.Error(s.toAPIError(route, err)))
	}
	result, err := v4Result(f, out)
	if err != nil {
		return s.fail(route, err)
	}
	return httpevent.JSONResponse(http.StatusOK, result), apierr.OKv4
}

// v4Params checks a v4 request in the contract's order (body size, signature, content type,
// fields) and gives the operation's parameters.
func (s *Server) v4Params(ctx context.Context, f *call.V4Form, ev Event, headers signature.Header, app *apps.App) (form.Values, error) {
	body, err := decodeBody(ev)
	if err != nil {
		return nil, err
	}
	if err := s.authenticate(ctx, headers, app); err != nil {
		return nil, err
	}
	if err := jsonbody.CheckContentType(headers("content-type")); err != nil {
		return nil, err
	}
	return jsonbody.Decode([]byte(body), f.Fields)
}

// authenticate checks the signature, which sets app, and the nonce.
func (s *Server) authenticate(ctx context.Context, headers signature.Header, app *apps.App) error {
	now := s.Now()
	var err error
	if *app, err = signature.Verify(headers, s.Apps, now, s.Window); err != nil {
		return err
	}
	return s.checkNonce(ctx, app.Key, signature.NonceOf(headers), now)
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
// is application/json (the signature covers headers only, so it holds either way).
func request(body, contentType string) (*call.Request, error) {
	if media, _, _ := mime.ParseMediaType(contentType); media == "application/json" {
		return &call.Request{Params: form.NewReader(form.Values{}), JSON: []byte(body)}, nil
	}
	values, err := form.Parse(body)
	if err != nil {
		return nil, err
	}
	return &call.Request{Params: form.NewReader(values)}, nil
}

// decodeBody is the request's body, refused when over the limit (as sent, or once decoded).
func decodeBody(ev Event) (string, error) {
	if httpevent.TooLarge(ev) {
		return "", httpevent.ErrBodyTooLarge
	}
	body := ev.Body
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return "", apierr.New(apierr.BadParam, "request body is not valid base64")
		}
		body = string(b)
	}
	if len(body) > form.MaxBody {
		return "", httpevent.ErrBodyTooLarge
	}
	return body, nil
}

func (s *Server) fail(route string, err error) (Response, int) {
	return httpevent.ErrorResponse(s.toAPIError(route, err))
}

// toAPIError is err's contract error, logging the faults that are the service's own.
func (s *Server) toAPIError(route string, err error) *apierr.Error {
	e := call.ToAPIError(err)
	if e.Code == apierr.Internal || e.Code == apierr.Timeout {
		s.Log.Error("operation failed", "route", route, "error", err.Error())
	}
	return e
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

// v4Result is the v4 success body: {"code":0}, with the operation's answer as f reads it
// under "result" when f has a result.
func v4Result(f *call.V4Form, out any) (string, error) {
	if f.Answer == nil {
		return `{"code":0}`, nil
	}
	result, err := f.Answer(out)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(struct {
		Code   int `json:"code"`
		Result any `json:"result"`
	}{apierr.OKv4, result})
	return string(body), err
}
