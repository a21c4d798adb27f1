package users

import (
	"context"
	"sync"
)

// parallelism bounds the single-item writes one request runs at once (DynamoDB has no batch
// update, so per-user conditional updates run side by side instead of one after another).
const parallelism = 10

// forEach runs fn for every id, at most parallelism at a time, and returns the first error.
// The others still finish: every fn here is safe to repeat, so the caller's retry completes.
func forEach(ctx context.Context, ids []string, fn func(context.Context, string) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, parallelism)
	)
	for _, id := range ids {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := fn(ctx, id); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
