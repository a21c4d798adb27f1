package users_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"imusers/shared/domain/users"
)

// fakeAPI opens each connection at its own time (as API Gateway does once $connect has
// answered) and answers Gone before then, or forever for connections it never opens.
type fakeAPI struct {
	mu     sync.Mutex
	start  time.Time
	opens  map[string]time.Duration
	posts  map[string]int
	frames map[string]int
	closed map[string]bool
}

func newFake(opens map[string]time.Duration) *fakeAPI {
	return &fakeAPI{start: time.Now(), opens: opens, posts: map[string]int{}, frames: map[string]int{}, closed: map[string]bool{}}
}

func (f *fakeAPI) open(id string) bool {
	at, ok := f.opens[id]
	return ok && time.Since(f.start) >= at && !f.closed[id]
}

// gone is how the Management API client answers for a gone connection: an error wrapping
// ErrGone.
func gone(id string) error { return fmt.Errorf("call %s: %w", id, users.ErrGone) }

func (f *fakeAPI) Post(_ context.Context, id string, _ []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts[id]++
	if !f.open(id) {
		return gone(id)
	}
	f.frames[id]++
	return nil
}

func (f *fakeAPI) Delete(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.open(id) {
		return gone(id)
	}
	f.closed[id] = true
	return nil
}

func TestKickWaitsForSettlingConnectionsOnly(t *testing.T) {
	api := newFake(map[string]time.Duration{
		"open":    0,
		"opening": 150 * time.Millisecond, // its connect is still on its way
	})
	start := time.Now()
	err := users.Kick(context.Background(), api, []users.Target{
		{ID: "open"},
		{ID: "opening", Settling: 2 * time.Second},
		{ID: "refused", Settling: 300 * time.Millisecond}, // recorded, but its connect was refused
		{ID: "long gone"},
	}, "blocked")
	took := time.Since(start)
	if err != nil {
		t.Fatalf("kick: %v", err)
	}
	for _, id := range []string{"open", "opening"} {
		if api.frames[id] != 1 || !api.closed[id] {
			t.Errorf("%s: %d kicked frames, closed %v; want one frame, then closed", id, api.frames[id], api.closed[id])
		}
	}
	if api.posts["long gone"] != 1 {
		t.Errorf("a settled gone connection was tried %d times, want once", api.posts["long gone"])
	}
	if n := api.posts["refused"]; n < 2 || n > 12 {
		t.Errorf("a settling connection that never opens was tried %d times; want a few, backing off", n)
	}
	// Bounded by the longest settling time of a connection that never opened.
	if took < 300*time.Millisecond || took > 1500*time.Millisecond {
		t.Errorf("kick took %s; want it to wait out the 300ms settling time and no more", took)
	}
}

func TestKickStopsWithItsContext(t *testing.T) {
	api := newFake(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := users.Kick(ctx, api, []users.Target{{ID: "never", Settling: time.Minute}}, "blocked")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("kick under a 100ms deadline answered %v after %s", err, time.Since(start))
	}
}
