// Package parallel runs independent steps side by side, a bounded number at a time: DynamoDB
// has no batch update and the management API no batch send, so per-item calls that can run
// together do, without one request opening unbounded connections.
package parallel

import (
	"context"
	"sync"
)

// Do runs fn for every index 0..n-1, at most limit at once, and returns each call's error
// (nil for a success) once every call has finished. It never stops early: callers use it for
// steps that are safe to repeat, so a retry of the whole request completes what failed.
func Do(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(limit, 1))
	for i := range n {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			errs[i] = fn(ctx, i)
		}()
	}
	wg.Wait()
	return errs
}

// First is the first error of errs in index order, nil when every call succeeded.
func First(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
