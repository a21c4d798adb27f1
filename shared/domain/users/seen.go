package users

import (
	"context"
	"errors"
	"sync"
	"time"

	"imusers/shared/store"
)

// A client's frames keep its connection counted as online, but most of them write nothing: a
// connection's last-seen time is written at most every store.SeenRefresh, which is why a
// recorded connection counts until its last-seen time plus the idle limit plus SeenRefresh.
//
// What was written is known from the frame itself (API Gateway's connectedAt: the connect
// recorded the connection then) and from what this instance wrote since. Another instance
// serving the same connection knows only the connect, and writes once itself: the writes per
// connection are at most one per SeenRefresh per instance that serves it.
const (
	// connectLead is how long before API Gateway's connectedAt the authorizer may have recorded
	// the connection: the admission's deadline and the $connect function.
	connectLead = AdmitWithin + time.Second
	// seenMemory bounds the connections an instance remembers writing for; when full it starts
	// over, which costs each connection at most one more write.
	seenMemory = 100_000
)

// seenWrites remembers when this instance last wrote each connection's last-seen time (ms).
type seenWrites struct {
	mu sync.Mutex
	at map[string]int64
}

func (w *seenWrites) last(connID string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at[connID]
}

func (w *seenWrites) wrote(connID string, now int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.at == nil || len(w.at) >= seenMemory {
		w.at = make(map[string]int64)
	}
	w.at[connID] = now
}

// Heard records that a client frame came on connection connID, which API Gateway opened at
// connectedAt (ms). It writes the connection's last-seen time only when the recorded one may be
// SeenRefresh old (one write, else none). A connection the service no longer records (it was
// just kicked, and its close is on the way) is no error.
func (s *Service) Heard(ctx context.Context, app, user, connID string, connectedAt int64) error {
	now := s.nowMS()
	known := max(connectedAt-connectLead.Milliseconds(), s.seen.last(connID))
	if now-known < store.SeenRefresh.Milliseconds() {
		return nil
	}
	err := s.Store.Touch(ctx, app, user, connID, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err == nil {
		s.seen.wrote(connID, now)
	}
	return err
}
