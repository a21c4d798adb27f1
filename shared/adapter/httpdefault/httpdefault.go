// Package httpdefault serves the HTTP API's $default route, where requests arrive whose path
// no route matched: it cleans the path and hands the request to the operation's own function.
// It knows no operation and no domain rule, so the function that runs it links neither.
package httpdefault

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/shared/adapter/httpevent"
	"imusers/shared/wire/apierr"
)

// Event and Response are API Gateway's payload-2.0 types.
type (
	Event    = httpevent.Event
	Response = httpevent.Response
)

// Invoker is the part of the SDK's Lambda client (*lambda.Client) the fallback uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Fallback serves the HTTP API's $default route, which API Gateway gives every request that no
// route matched. API Gateway matches routes on the raw path, so a path an SDK sends uncleaned
// (one official SDK sends //user/deactivate/query.json) lands here. Fallback cleans the path
// and runs the operation's own function with the same event, synchronously, answering with that
// function's response as it is: a redirect is no answer to a POST, because clients do not
// repeat a POST body after one.
type Fallback struct {
	// Lookup names the function serving a Server API path (its path or an alias): the route
	// table's (routes.ByPath).
	Lookup func(path string) (function string, ok bool)
	// Functions runs the operation's function (the service's Lambda client). A synchronous
	// invocation is attempted once and bounded by the context alone: an attempt whose answer
	// was lost may have run the operation, and an operation may take its whole timeout.
	Functions Invoker
	// Prefix turns a function's name in the route table into its deployed name.
	Prefix string
	Log    *slog.Logger
}

// Route is how the fallback's events and log lines name it.
const Route = "$default"

// maxShownPath bounds the path a 404 names, so the answer stays small whatever was sent.
const maxShownPath = 256

// Handle is the Lambda handler. Like Serve, it never fails and never panics: a fault is an
// error body.
func (f *Fallback) Handle(ctx context.Context, ev Event) (resp Response, _ error) {
	start := time.Now()
	reqID := httpevent.Header(ev.Headers, "x-request-id")
	raw := ev.RawPath
	if raw == "" {
		raw = ev.RequestContext.HTTP.Path
	}
	var target string
	code := apierr.Internal
	defer func() {
		if p := recover(); p != nil {
			f.Log.Error("panic", "route", Route, "panic", fmt.Sprint(p))
			resp, code = httpevent.ErrorResponse(apierr.New(apierr.Internal, "internal error"))
		}
		attrs := []any{"route", Route, "path", shown(raw), "target", target, "requestId", reqID,
			"awsRequestId", ev.RequestContext.RequestID, "status", resp.StatusCode, "ms", time.Since(start).Milliseconds()}
		if code != 0 {
			// Our own answer; a forwarded one carries the operation's code, which its log has.
			if reqID != "" {
				resp.Headers["X-Request-ID"] = reqID
			}
			attrs = append(attrs, "code", code)
		}
		f.Log.Info("request", attrs...)
	}()
	clean, target, ok := f.resolve(ev.RequestContext.HTTP.Method, raw)
	if !ok {
		resp, code = httpevent.ErrorResponse(NoOperation(clean))
		return resp, nil
	}
	if httpevent.TooLarge(ev) {
		// The operation would refuse it the same way; Lambda would refuse the larger ones first.
		resp, code = httpevent.ErrorResponse(httpevent.ErrBodyTooLarge)
		return resp, nil
	}
	// As the operations do: an invocation that runs too long still gets the contract's 1050.
	ctx, cancel := httpevent.WithAnswerMargin(ctx)
	defer cancel()
	resp, err := f.forward(ctx, target, Rewrite(ev, clean))
	if err != nil {
		f.Log.Error("forwarding failed", "route", Route, "target", target, "error", err.Error())
		resp, code = httpevent.ErrorResponse(apierr.From(err))
		return resp, nil
	}
	code = 0
	return resp, nil
}

// resolve cleans raw and finds the function of the cleaned path. A path that cleaning leaves
// as it is names no operation: API Gateway would have matched it, so forwarding it could only
// come back here.
func (f *Fallback) resolve(method, raw string) (clean, function string, ok bool) {
	clean = CleanPath(raw)
	if method != http.MethodPost || clean == raw {
		return clean, "", false
	}
	function, ok = f.Lookup(clean)
	return clean, function, ok
}

// CleanPath is the path a request is matched on: "//user/x.json", "/user/./x.json" and
// "/user/x.json/" are all "/user/x.json".
func CleanPath(raw string) string { return path.Clean("/" + raw) }

// NoOperation is the answer to a request for a path that no operation serves: HTTP 404 with
// code 1002 (the path is the malformed parameter), naming the path and nothing else.
func NoOperation(clean string) *apierr.Error {
	return &apierr.Error{Code: apierr.BadParam, Status: http.StatusNotFound, Message: "no operation at " + shown(clean)}
}

// shown makes a client's path safe to repeat: valid UTF-8, at most maxShownPath bytes.
func shown(p string) string {
	p = strings.ToValidUTF8(p, "\uFFFD")
	if len(p) <= maxShownPath {
		return p
	}
	n := maxShownPath
	for n > 0 && !utf8.RuneStart(p[n]) {
		n--
	}
	return p[:n] + "…"
}

// Rewrite gives ev the cleaned path, as API Gateway would have sent it to the operation's route.
func Rewrite(ev Event, clean string) Event {
	ev.RawPath = clean
	ev.RouteKey = "POST " + clean
	ev.RequestContext.HTTP.Path = clean
	ev.RequestContext.RouteKey = ev.RouteKey
	return ev
}

// forward invokes the function synchronously and returns its response unchanged.
func (f *Fallback) forward(ctx context.Context, function string, ev Event) (Response, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return Response{}, err
	}
	out, err := f.Functions.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(f.Prefix + function), InvocationType: types.InvocationTypeRequestResponse, Payload: payload,
	}, attemptOnce)
	if err != nil {
		return Response{}, fmt.Errorf("invoke %s: %w", function, err)
	}
	if out.FunctionError != nil {
		return Response{}, fmt.Errorf("%s failed (%s): %.200s", function, *out.FunctionError, out.Payload)
	}
	var resp Response
	if err := json.Unmarshal(out.Payload, &resp); err != nil || resp.StatusCode == 0 {
		return Response{}, fmt.Errorf("%s answered %.200q, not a response", function, out.Payload)
	}
	return resp, nil
}

// attemptOnce keeps the client's retryer off a synchronous invocation: an attempt whose answer
// was lost may have run the operation.
func attemptOnce(o *lambda.Options) { o.Retryer = aws.NopRetryer{} }
