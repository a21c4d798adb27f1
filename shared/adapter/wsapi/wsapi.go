// Package wsapi adapts the client connection API (an API Gateway WebSocket API) to the user,
// presence and message rules: the $connect authorizer records the connection and checks the
// token, $disconnect and the client's frames keep the user's presence, sendMessage carries
// direct messages, and the blocklist frames keep the user's own blocklist. The authorizer's
// answer names the app and user; API Gateway hands that context to every later event of the
// connection, which is how the later routes know whose connection they serve without a lookup.
package wsapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"imusers/shared/adapter/wsconn"
	"imusers/shared/apps"
	"imusers/shared/domain/messages"
	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
)

// Event types of API Gateway's WebSocket APIs.
type (
	AuthorizerResponse = events.APIGatewayCustomAuthorizerResponse
	Event              = wsconn.Event
	Response           = wsconn.Response
)

// AuthorizerEvent is the $connect authorizer's event. A WebSocket API puts the connection's id
// in its request context, which aws-lambda-go's REQUEST authorizer type leaves out; the
// authorizer records the connection under it.
type AuthorizerEvent struct {
	events.APIGatewayCustomAuthorizerRequestTypeRequest
	RequestContext AuthorizerRequestContext `json:"requestContext"`
}

// AuthorizerRequestContext is the request context of a WebSocket API's authorizer event.
type AuthorizerRequestContext struct {
	events.APIGatewayCustomAuthorizerRequestTypeRequestContext
	ConnectionID string `json:"connectionId"`
}

// TokenParam is the connect URL's query parameter that carries the user's token.
const TokenParam = "token"

// Keys of the authorizer context.
const (
	ContextApp  = wsconn.ContextApp
	ContextUser = wsconn.ContextUser
)

// ErrUnauthorized is the authorizer's refusal that API Gateway answers with HTTP 401; its text is
// what API Gateway looks for.
var ErrUnauthorized = errors.New("Unauthorized")

// Server serves the connection API's functions.
type Server struct {
	Users    *users.Service
	Messages *messages.Service // the sendMessage route
	// Relations and Apps: the blocklist frames (the apps' keys sign their page tokens).
	Relations *relations.Service
	Apps      *apps.Registry
	Log       *slog.Logger
}

// Authorize is the $connect authorizer. It records the connection, then reads the user's state
// once to decide (see users.Admit): a bad, expired or unknown user's token is refused with 401,
// a blocked or deactivated user, or one with the most connections allowed, with 403 (an explicit
// Deny), and a refusal takes the record back.
func (s *Server) Authorize(ctx context.Context, ev AuthorizerEvent) (AuthorizerResponse, error) {
	start := time.Now()
	app, u, err := s.Users.Admit(ctx, ev.QueryStringParameters[TokenParam], ev.RequestContext.ConnectionID, ev.RequestContext.Identity.SourceIP)
	log := func(outcome string) {
		s.Log.Info("request", "route", "$connect authorizer", "app", app.Key,
			"awsRequestId", ev.RequestContext.RequestID, "outcome", outcome, "ms", time.Since(start).Milliseconds())
	}
	if errors.Is(err, users.ErrNotWithdrawn) {
		s.Log.Error("refused connection not withdrawn", "route", "$connect authorizer", "error", err.Error())
	}
	switch {
	case errors.Is(err, users.ErrBadToken):
		log("unauthorized")
		return AuthorizerResponse{}, ErrUnauthorized
	case errors.Is(err, users.ErrBlocked), errors.Is(err, users.ErrDeactivated), errors.Is(err, users.ErrTooManyConnections):
		log(deniedFor(err))
		return policy("refused", "Deny", ev.MethodArn, nil), nil
	case err != nil:
		s.Log.Error("token check failed", "route", "$connect authorizer", "error", err.Error())
		return AuthorizerResponse{}, errors.New("token check failed")
	}
	log("allowed")
	identity := map[string]any{ContextApp: app.Key, ContextUser: u.ID}
	if users.ReportsConnections(u) {
		identity[wsconn.ContextReports] = "1"
	}
	return policy(u.ID, "Allow", ev.MethodArn, identity), nil
}

// deniedFor names why a connect was denied, for the log.
func deniedFor(err error) string {
	switch {
	case errors.Is(err, users.ErrDeactivated):
		return "deactivated"
	case errors.Is(err, users.ErrTooManyConnections):
		return "too many connections"
	}
	return "blocked"
}

func policy(principal, effect, resource string, context map[string]any) AuthorizerResponse {
	return AuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{
				{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{resource}},
			},
		},
		Context: context,
	}
}

// Disconnect serves $disconnect: it forgets the connection, in one write, and announces the
// close when the app wanted that as the connection opened.
func (s *Server) Disconnect(ctx context.Context, ev Event) (Response, error) {
	return s.serve(ctx, ev, func(ctx context.Context, app, user string) (Response, error) {
		rc := ev.RequestContext
		if err := s.Users.Disconnect(ctx, app, user, rc.ConnectionID); err != nil {
			return Response{}, err
		}
		if wsconn.Reports(ev) {
			s.Users.Disconnected(ctx, app, user, rc.ConnectionID, rc.Identity.SourceIP)
		}
		return Response{StatusCode: http.StatusOK}, nil
	})
}

// Pong is the answer to a ping frame: {"type":"pong"}.
type Pong struct {
	Type string `json:"type"` // always "pong"
}

// Ping serves the ping route: it answers a pong frame, and counts the frame as the client's
// activity (users.Heard: one write at most every few minutes, else none). A connection the
// service no longer records (it was just kicked) still gets its pong; its close is on the way.
func (s *Server) Ping(ctx context.Context, ev Event) (Response, error) {
	return s.serve(ctx, ev, func(ctx context.Context, app, user string) (Response, error) {
		if err := s.heard(ctx, app, user, ev); err != nil {
			return Response{}, err
		}
		return wsconn.FrameResponse(Pong{Type: "pong"}), nil
	})
}

// heard counts a client frame as activity on its connection.
func (s *Server) heard(ctx context.Context, app, user string, ev Event) error {
	return s.Users.Heard(ctx, app, user, ev.RequestContext.ConnectionID, ev.RequestContext.ConnectedAt)
}

func (s *Server) serve(ctx context.Context, ev Event, op wsconn.Op) (Response, error) {
	return wsconn.Serve(ctx, s.Log, ev, op)
}
