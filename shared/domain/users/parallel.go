package users

import (
	"context"

	"imusers/shared/parallel"
)

// parallelism bounds the single-item writes one request runs at once (DynamoDB has no batch
// update, so per-user conditional updates run side by side instead of one after another).
const parallelism = 10

// forEach runs fn for every id, at most parallelism at a time, and returns the first error.
// The others still finish: every fn here is safe to repeat, so the caller's retry completes.
func forEach(ctx context.Context, ids []string, fn func(context.Context, string) error) error {
	return parallel.First(parallel.Do(ctx, len(ids), parallelism, func(ctx context.Context, i int) error {
		return fn(ctx, ids[i])
	}))
}
