package users

import (
	"context"

	"imusers/shared/apps"
	"imusers/shared/store"
)

// Online reports whether the user has a connection that can still be open, in one read. A user
// who never connected, or does not exist, is offline.
func (s *Service) Online(ctx context.Context, app apps.App, id string) (bool, error) {
	conns, err := s.Store.Connections(ctx, app.Key, id)
	if err != nil {
		return false, err
	}
	return len(store.Live(conns, s.nowMS())) > 0, nil
}

// OnlineMany answers Online for up to 100 users in one batched read.
func (s *Service) OnlineMany(ctx context.Context, app apps.App, ids []string) (map[string]bool, error) {
	conns, err := s.Store.ConnectionsOf(ctx, app.Key, ids)
	if err != nil {
		return nil, err
	}
	now := s.nowMS()
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = len(store.Live(conns[id], now)) > 0
	}
	return out, nil
}
