package users

import (
	"context"
	"errors"
	"fmt"
	"time"

	"imusers/shared/apps"
	"imusers/shared/store"
)

// Why a connection was closed by the service; the client reads it in the last frame.
const (
	ReasonBlocked     = "blocked"
	ReasonDeactivated = "deactivated"
)

// Kicker closes client connections after telling them why (the API Gateway Management API in
// AWS, the local gateway's @connections endpoint locally).
type Kicker interface {
	Kick(ctx context.Context, connIDs []string, reason string) error
}

// MaxBan is the longest ban the contract allows.
const MaxBan = 43200 * time.Minute

// existingWithConnections reads users and their recorded connections in one batch and fails,
// changing nothing, when one does not exist. It returns the connections that can still be open.
func (s *Service) existingWithConnections(ctx context.Context, app string, ids []string) ([]string, error) {
	found, conns, err := s.Store.UsersAndConnections(ctx, app, ids)
	if err != nil {
		return nil, err
	}
	now := s.nowMS()
	var live []string
	for _, id := range ids {
		if found[id] == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnknownUser, id)
		}
		for _, c := range store.Live(conns[id], now) {
			live = append(live, c.ID)
		}
	}
	return live, nil
}

func (s *Service) kick(ctx context.Context, conns []string, reason string) error {
	if len(conns) == 0 {
		return nil
	}
	if s.Kicker == nil {
		return errors.New("close connections: no connection management endpoint is configured")
	}
	if err := s.Kicker.Kick(ctx, conns, reason); err != nil {
		return fmt.Errorf("close connections: %w", err)
	}
	return nil
}

// Block bans users for d from now: connecting is refused until then, and every open connection
// is closed at once. Blocking again replaces the end time. The ban ends by itself; nothing has to
// run at the end. Costs one batched read (users and connections) and one batched write per 25
// users.
func (s *Service) Block(ctx context.Context, app apps.App, ids []string, d time.Duration) error {
	conns, err := s.existingWithConnections(ctx, app.Key, ids)
	if err != nil {
		return err
	}
	if err := s.Store.PutBans(ctx, app.Key, ids, s.Now().Add(d).UnixMilli()); err != nil {
		return err
	}
	// After the bans are written, so that a kicked client's reconnect is already refused.
	return s.kick(ctx, conns, ReasonBlocked)
}

// Unblock lifts users' bans at once (a user without a ban is left as it is).
func (s *Service) Unblock(ctx context.Context, app apps.App, ids []string) error {
	if _, err := s.existing(ctx, app.Key, ids); err != nil {
		return err
	}
	return s.Store.DeleteBans(ctx, app.Key, ids)
}

// ListBlocked returns one page of the bans in force now, soonest end first.
func (s *Service) ListBlocked(ctx context.Context, app apps.App, page, size int) ([]store.Ban, error) {
	return s.Store.ListBanned(ctx, app.Key, s.nowMS(), page, size)
}
