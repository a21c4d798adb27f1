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
	ReasonDeleted     = "deleted"
)

// MaxBan is the longest ban the contract allows.
const MaxBan = 43200 * time.Minute

// kickAll closes every connection of the users that can still be open. It must run after the
// state write that refuses their connects: a connect that read the state before that write had
// recorded its connection before its read, so this lookup finds it (a strong read: an
// eventually consistent one could miss that record). One batched read per 100 users.
func (s *Service) kickAll(ctx context.Context, app string, ids []string, reason string) error {
	conns, err := s.Store.ConnectionsOf(ctx, app, ids, store.Strong)
	if err != nil {
		return err
	}
	now := s.nowMS()
	var targets []Target
	for _, id := range ids {
		for _, c := range store.Live(conns[id], now) {
			settling := time.Duration(c.ConnectedAt-now)*time.Millisecond + ConnectSettle
			targets = append(targets, Target{ID: c.ID, Settling: max(settling, 0)})
		}
	}
	if len(targets) == 0 {
		return nil
	}
	if s.Conns == nil {
		return errors.New("close connections: no connection management endpoint is configured")
	}
	if err := Kick(ctx, s.Conns, targets, reason); err != nil {
		return fmt.Errorf("close connections: %w", err)
	}
	return nil
}

// Block bans users for d from now: connecting is refused until then, and every open connection
// is closed at once. Blocking again replaces the end time. The ban ends by itself; nothing has to
// run at the end. Costs one batched read of the users, one batched write per 25 users, and one
// batched read of their connections.
func (s *Service) Block(ctx context.Context, app apps.App, ids []string, d time.Duration) error {
	if _, err := s.existing(ctx, app.Key, ids); err != nil {
		return err
	}
	if err := s.Store.PutBans(ctx, app.Key, ids, s.Now().Add(d).UnixMilli()); err != nil {
		return err
	}
	return s.kickAll(ctx, app.Key, ids, ReasonBlocked)
}

// Unblock lifts users' bans at once (a user without a ban is left as it is).
func (s *Service) Unblock(ctx context.Context, app apps.App, ids []string) error {
	if _, err := s.existing(ctx, app.Key, ids); err != nil {
		return err
	}
	return s.Store.DeleteBans(ctx, app.Key, ids)
}

// ListBlocked returns one page of the bans in force now, soonest end first (latest end first
// when latestEndFirst).
func (s *Service) ListBlocked(ctx context.Context, app apps.App, page, size int, latestEndFirst bool) ([]store.Ban, error) {
	return s.Store.ListBanned(ctx, app.Key, s.nowMS(), page, size, latestEndFirst)
}
