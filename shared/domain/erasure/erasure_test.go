package erasure_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"imusers/shared/domain/erasure"
	"imusers/shared/domain/users"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// recorder stands in for the asynchronous invocation that continues a job.
type recorder struct {
	mu   sync.Mutex
	jobs []users.Erasure
}

func (r *recorder) Start(_ context.Context, job users.Erasure) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs = append(r.jobs, job)
	return nil
}

func (r *recorder) take() (users.Erasure, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.jobs) == 0 {
		return users.Erasure{}, false
	}
	j := r.jobs[0]
	r.jobs = r.jobs[1:]
	return j, true
}

func TestWorkerContinuesLargeErasuresInNewInvocations(t *testing.T) {
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	for _, u := range []string{"big", "small"} {
		if _, err := st.Register(ctx, "app", u, "Name", "", 1, false); err != nil {
			t.Fatal(err)
		}
		if err := st.Deactivate(ctx, "app", u, 2, "op-1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SeedRelated(ctx, "app", "big", 3000); err != nil {
		t.Fatal(err)
	}
	if err := st.SeedRelated(ctx, "app", "small", 5); err != nil {
		t.Fatal(err)
	}
	next := &recorder{}
	const reserve = 10 * time.Second
	w := &erasure.Worker{Store: st, Next: next, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Reserve: reserve}

	// Each invocation gets only a sliver of time beyond the reserve, so it must hand over.
	job := users.Erasure{App: "app", Users: []string{"big", "small"}, OperateID: "op-1"}
	invocations := 0
	for ok := true; ok; job, ok = next.take() {
		invocations++
		if invocations > 200 {
			t.Fatal("erasure does not finish")
		}
		ictx, cancel := context.WithTimeout(ctx, reserve+100*time.Millisecond)
		err := w.Handle(ictx, job)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	if invocations < 2 {
		t.Fatalf("a 3000-item erasure with 100 ms per invocation finished in %d invocation(s); continuation untested", invocations)
	}
	for _, u := range []string{"big", "small"} {
		left, err := st.ItemsOf(ctx, "app", u)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 1 {
			t.Fatalf("%s: %d items left after erasure", u, len(left))
		}
		got, err := st.GetUser(ctx, "app", u)
		if err != nil || got.ErasePending != "" || !got.Deactivated() {
			t.Fatalf("%s: state after erasure = %+v, %v", u, got, err)
		}
	}
}

func TestFinishedMarkKeepsANewerDeactivation(t *testing.T) {
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	if _, err := st.Register(ctx, "app", "u", "Name", "", 1, false); err != nil {
		t.Fatal(err)
	}
	if err := st.Deactivate(ctx, "app", "u", 2, "op-new"); err != nil {
		t.Fatal(err)
	}
	w := &erasure.Worker{Store: st, Next: &recorder{}, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if err := w.Handle(ctx, users.Erasure{App: "app", Users: []string{"u"}, OperateID: "op-old"}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetUser(ctx, "app", "u")
	if got.ErasePending != "op-new" {
		t.Fatalf("an older job cleared a newer erasure's mark: %+v", got)
	}
}

// A write that read the user as active just before its deactivation can land after the first
// sweep; the final sweep, once the settle time has passed, erases it, and only then is the
// erasure marked finished.
func TestFinalSweepErasesStragglingWrites(t *testing.T) {
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	if _, err := st.Register(ctx, "app", "u", "Name", "", 1, false); err != nil {
		t.Fatal(err)
	}
	deactivated := time.Now()
	if err := st.Deactivate(ctx, "app", "u", deactivated.UnixMilli(), "op"); err != nil {
		t.Fatal(err)
	}
	if err := st.SeedRelated(ctx, "app", "u", 30); err != nil {
		t.Fatal(err)
	}
	w := &erasure.Worker{Store: st, Next: &recorder{}, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Settle: 600 * time.Millisecond, Now: time.Now}
	done := make(chan error, 1)
	go func() {
		done <- w.Handle(ctx, users.Erasure{App: "app", Users: []string{"u"}, OperateID: "op", At: deactivated.UnixMilli()})
	}()
	time.Sleep(200 * time.Millisecond)
	if left, _ := st.ItemsOf(ctx, "app", "u"); len(left) != 1 {
		t.Fatalf("the first sweep left %d items", len(left))
	}
	if u, _ := st.GetUser(ctx, "app", "u"); u.ErasePending != "op" {
		t.Fatalf("erasure marked finished before its final sweep: %+v", u)
	}
	if err := st.SeedRelated(ctx, "app", "u", 7); err != nil { // the straggler
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if time.Since(deactivated) < 600*time.Millisecond {
		t.Fatal("erasure finished before the settle time")
	}
	if left, _ := st.ItemsOf(ctx, "app", "u"); len(left) != 1 {
		t.Fatalf("a write landing after the first sweep survived erasure: %d items", len(left))
	}
	if u, _ := st.GetUser(ctx, "app", "u"); u.ErasePending != "" {
		t.Fatalf("erasure not marked finished: %+v", u)
	}
}
