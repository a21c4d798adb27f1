// Package connections reaches clients' open WebSocket connections from the server side, through
// the API Gateway Management API: in AWS the WebSocket API's own endpoint, locally the local
// gateway's @connections endpoint. The same client, the SDK's Management API client (Client),
// serves both; only the endpoint differs. It is the users and messages rules' way to their
// connections (users.Connections, messages.Deliverer): what to send and when to close is
// theirs.
package connections

import (
	"context"

	"imusers/shared/domain/users"
)

// API is the part of the Management API used here; *Client is the one the service uses. A call
// to a connection that is gone answers an error matching ErrGone.
type API interface {
	// Post sends data to a connection as one frame (PostToConnection).
	Post(ctx context.Context, connID string, data []byte) error
	// Delete closes a connection (DeleteConnection).
	Delete(ctx context.Context, connID string) error
}

// ErrGone means the connection is already closed: the users rules' ErrGone, which they and the
// messages rules look for.
var ErrGone = users.ErrGone

var (
	_ API               = (*Client)(nil)
	_ users.Connections = API(nil)
)
