// Package httpevent is what the HTTP API's two adapters (the operations' httpapi and the
// $default route's httpdefault) share about API Gateway's payload-2.0 events: the event and
// response types, reading a header whatever its case, the body limit, the time kept back for
// answering, and the contract's answers. It links no SDK client and no store, so the $default
// route's function, which uses it, links none either.
package httpevent

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
	"imusers/shared/wire/signature"
)

// Event and Response are API Gateway's payload-2.0 types.
type (
	Event    = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// Headers returns the lookup of h's headers by lowercase name. API Gateway lowercases header
// names, and then a name that is not there under its lowercase form is not there at all; only
// a map with other names (or names that fold to ASCII from beyond it) needs Header's search of
// every name.
func Headers(h map[string]string) signature.Header {
	for k := range h {
		for i := 0; i < len(k); i++ {
			if c := k[i]; c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf {
				return func(lower string) string { return Header(h, lower) }
			}
		}
	}
	return func(lower string) string { return h[lower] }
}

// Header finds a header by lowercase name whatever its case in the event.
func Header(h map[string]string, lower string) string {
	if v, ok := h[lower]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, lower) {
			return v
		}
	}
	return ""
}

// ErrBodyTooLarge is the answer to a body over the operations' limit.
var ErrBodyTooLarge = &apierr.Error{Code: apierr.BodyTooLarge, Status: http.StatusRequestEntityTooLarge, Message: "request body is larger than 512 KiB"}

// TooLarge reports a body over the operations' limit, as text or as base64, without decoding it.
func TooLarge(ev Event) bool { return len(ev.Body) > form.MaxBody*4/3+4 }

// AnswerMargin is kept back from the invocation's deadline for answering: past the deadline
// Lambda stops the function and API Gateway sends its own 500 instead of the contract's 1050.
const AnswerMargin = 500 * time.Millisecond

// WithAnswerMargin returns ctx ending AnswerMargin before its deadline, if it has one, so that
// what runs under it gives up while there is still time to answer.
func WithAnswerMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline.Add(-AnswerMargin))
}

// ErrorResponse is the contract's answer to e, and e's code, which the request's log line
// carries.
func ErrorResponse(e *apierr.Error) (Response, int) {
	return JSONResponse(e.Status, string(e.Body())), e.Code
}

// JSONResponse is an answer with a JSON body.
func JSONResponse(status int, body string) Response {
	return Response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json; charset=utf-8"},
		Body:       body,
	}
}
