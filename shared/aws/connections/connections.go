// Package connections reaches clients' open WebSocket connections from the server side, through
// the API Gateway Management API: in AWS the WebSocket API's own endpoint, locally the local
// gateway's @connections endpoint. The same client, the SDK's Management API client (Client),
// serves both; only the endpoint differs.
package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"imusers/shared/domain/users"
	"imusers/shared/parallel"
)

// API is the part of the Management API used here; *Client is the one the service uses. A call
// to a connection that is gone answers an error matching ErrGone.
type API interface {
	// Post sends data to a connection as one frame (PostToConnection).
	Post(ctx context.Context, connID string, data []byte) error
	// Delete closes a connection (DeleteConnection).
	Delete(ctx context.Context, connID string) error
}

// ErrGone means the connection is already closed.
var ErrGone = errors.New("connection is gone")

// parallelism bounds the Management API calls one request runs at once: closing a user's
// connections one after another would let the last ones linger.
const parallelism = 10

// Manager sends to and closes connections.
type Manager struct {
	API API
}

var _ users.Kicker = (*Manager)(nil)

// Send delivers one text frame to a connection.
func (m *Manager) Send(ctx context.Context, connID string, frame []byte) error {
	return m.API.Post(ctx, connID, frame)
}

// Close closes a connection; API Gateway then runs its $disconnect route.
func (m *Manager) Close(ctx context.Context, connID string) error {
	return m.API.Delete(ctx, connID)
}

// Kicked is the last frame a closed connection receives.
type Kicked struct {
	Type   string `json:"type"` // always "kicked"
	Reason string `json:"reason"`
}

// Retries of a settling connection found gone: short at first, since API Gateway opens a
// connection moments after its $connect answers, and never past the connection's settling time.
const (
	firstRetry = 20 * time.Millisecond
	maxRetry   = 400 * time.Millisecond
)

// Kick tells each connection why and closes it, all connections at once. Connections already
// gone are skipped, once their settling time is over; the first other failure is returned after
// every connection was tried.
func (m *Manager) Kick(ctx context.Context, conns []users.Target, reason string) error {
	frame, err := json.Marshal(Kicked{Type: "kicked", Reason: reason})
	if err != nil {
		return err
	}
	return parallel.First(parallel.Do(ctx, len(conns), parallelism, func(ctx context.Context, i int) error {
		err := m.kick(ctx, conns[i], frame)
		if err != nil && !errors.Is(err, ErrGone) {
			return fmt.Errorf("kick %s: %w", conns[i].ID, err)
		}
		return nil
	}))
}

// kick sends the last frame and closes one connection. A connection that is gone while it may
// still be opening is tried again until it opens or its settling time is over; a try that
// found the connection gone delivered nothing, so trying again never repeats the frame.
func (m *Manager) kick(ctx context.Context, c users.Target, frame []byte) error {
	giveUp := time.Now().Add(c.Settling)
	for wait := firstRetry; ; wait = min(2*wait, maxRetry) {
		err := m.Send(ctx, c.ID, frame)
		if err == nil {
			return m.Close(ctx, c.ID)
		}
		left := time.Until(giveUp)
		if !errors.Is(err, ErrGone) || left <= 0 {
			return err
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
