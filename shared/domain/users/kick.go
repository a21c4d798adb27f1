package users

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"imusers/shared/parallel"
)

// Connections reaches clients' open connections from the server side: the API Gateway
// Management API in AWS (shared/aws/connections), the local gateway's @connections endpoint
// locally. A call to a connection that is already closed, or not open yet, answers an error
// matching ErrGone.
type Connections interface {
	// Post sends data to a connection as one frame, at most once.
	Post(ctx context.Context, connID string, data []byte) error
	// Delete closes a connection; API Gateway then runs its $disconnect route.
	Delete(ctx context.Context, connID string) error
}

// ErrGone means the connection is closed, or not open yet.
var ErrGone = errors.New("connection is gone")

// Kicked is the last frame a closed connection receives.
type Kicked struct {
	Type   string `json:"type"` // always "kicked"
	Reason string `json:"reason"`
}

// Target is one connection to close.
type Target struct {
	ID string
	// Settling is how much longer the connection may still be on its way to open (see
	// ConnectSettle): until then, finding it gone is no proof it will not open.
	Settling time.Duration
}

// kickParallelism bounds the Management API calls one kick runs at once: closing a user's
// connections one after another would let the last ones linger.
const kickParallelism = 10

// Retries of a settling connection found gone: short at first, since API Gateway opens a
// connection moments after its $connect answers, and never past the connection's settling time.
const (
	firstRetry = 20 * time.Millisecond
	maxRetry   = 400 * time.Millisecond
)

// Kick tells each target why and closes it, all targets at once. Connections already gone are
// skipped, once their settling time is over; the first other failure is returned after every
// connection was tried.
func Kick(ctx context.Context, conns Connections, targets []Target, reason string) error {
	frame, err := json.Marshal(Kicked{Type: "kicked", Reason: reason})
	if err != nil {
		return err
	}
	return parallel.First(parallel.Do(ctx, len(targets), kickParallelism, func(ctx context.Context, i int) error {
		err := kickOne(ctx, conns, targets[i], frame)
		if err != nil && !errors.Is(err, ErrGone) {
			return fmt.Errorf("kick %s: %w", targets[i].ID, err)
		}
		return nil
	}))
}

// kickOne sends the last frame and closes one connection. A connection that is gone while it
// may still be opening is tried again until it opens or its settling time is over; a try that
// found the connection gone delivered nothing, so trying again never repeats the frame.
func kickOne(ctx context.Context, conns Connections, c Target, frame []byte) error {
	giveUp := time.Now().Add(c.Settling)
	for wait := firstRetry; ; wait = min(2*wait, maxRetry) {
		err := conns.Post(ctx, c.ID, frame)
		if err == nil {
			return conns.Delete(ctx, c.ID)
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
