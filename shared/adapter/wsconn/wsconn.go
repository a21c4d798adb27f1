// Package wsconn is what every route of the connection API (an API Gateway WebSocket API)
// shares: its event types, the identity the $connect authorizer attached to the connection,
// and one log line per event. It also serves $connect itself, which needs nothing more, so the
// $connect function links no store and no AWS client.
package wsconn

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event types of API Gateway's WebSocket APIs.
type (
	Event    = events.APIGatewayWebsocketProxyRequest
	Response = events.APIGatewayProxyResponse
)

// Keys of the authorizer context: API Gateway hands that context to every later event of the
// connection, which is how the later routes know whose connection they serve without a lookup.
const (
	ContextApp  = "app"
	ContextUser = "user"
	// ContextReports is "1" when the app wanted to hear of the connection (a webhook for
	// user:connection_status) as it opened: its close is announced too, with no lookup.
	ContextReports = "reports"
)

// Reports tells whether the connection's close is to be announced (ContextReports).
func Reports(ev Event) bool {
	m, _ := ev.RequestContext.Authorizer.(map[string]any)
	return m[ContextReports] == "1"
}

// Identity reads the app and user the authorizer attached to the connection.
func Identity(ev Event) (app, user string, ok bool) {
	m, _ := ev.RequestContext.Authorizer.(map[string]any)
	app, _ = m[ContextApp].(string)
	user, _ = m[ContextUser].(string)
	return app, user, app != "" && user != ""
}

// Op is a route's work for the connection of user of app.
type Op func(ctx context.Context, app, user string) (Response, error)

// Serve runs one connection event with the connection's identity and logs one line for it. A
// failure is a 500 for API Gateway (on $connect it refuses the connection).
func Serve(ctx context.Context, log *slog.Logger, ev Event, op Op) (Response, error) {
	start := time.Now()
	app, user, ok := Identity(ev)
	resp := Response{StatusCode: http.StatusUnauthorized}
	var err error
	if ok {
		resp, err = op(ctx, app, user)
		if err != nil {
			log.Error("operation failed", "route", ev.RequestContext.RouteKey, "app", app, "error", err.Error())
			resp = Response{StatusCode: http.StatusInternalServerError}
		}
	} else {
		log.Error("event carries no authorizer identity", "route", ev.RequestContext.RouteKey)
	}
	log.Info("request", "route", ev.RequestContext.RouteKey, "app", app,
		"awsRequestId", ev.RequestContext.RequestID, "status", resp.StatusCode, "ms", time.Since(start).Milliseconds())
	return resp, nil
}

// FrameResponse answers a two-way route with one frame to the sender. The frames are structs
// of strings and numbers, which json.Marshal always encodes.
func FrameResponse(frame any) Response {
	b, _ := json.Marshal(frame)
	return Response{StatusCode: http.StatusOK, Body: string(b)}
}

// Connect serves $connect, with no I/O: the authorizer has recorded the connection already,
// before it read the user's state, so that a block or deactivation racing the connect sees one
// or the other.
func Connect(log *slog.Logger) func(context.Context, Event) (Response, error) {
	return func(ctx context.Context, ev Event) (Response, error) {
		return Serve(ctx, log, ev, func(context.Context, string, string) (Response, error) {
			return Response{StatusCode: http.StatusOK}, nil
		})
	}
}
