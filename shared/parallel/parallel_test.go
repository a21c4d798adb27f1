package parallel_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"imusers/shared/parallel"
)

func TestDoRunsEveryCallWithinTheBound(t *testing.T) {
	var running, peak, calls atomic.Int64
	errs := parallel.Do(context.Background(), 50, 4, func(_ context.Context, i int) error {
		calls.Add(1)
		now := running.Add(1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		running.Add(-1)
		if i%10 == 3 {
			return errors.New("failed")
		}
		return nil
	})
	if calls.Load() != 50 || len(errs) != 50 {
		t.Fatalf("%d calls, %d results; want 50 of each", calls.Load(), len(errs))
	}
	if peak.Load() > 4 {
		t.Fatalf("%d calls ran at once, bound 4", peak.Load())
	}
	for i, err := range errs {
		if (err != nil) != (i%10 == 3) {
			t.Fatalf("result %d = %v", i, err)
		}
	}
	if parallel.First(errs) != errs[3] {
		t.Fatal("First is not the first error in index order")
	}
	if parallel.First(make([]error, 3)) != nil {
		t.Fatal("First of successes is not nil")
	}
}
