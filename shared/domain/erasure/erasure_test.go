package erasure_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"imusers/shared/domain/erasure"
	"imusers/shared/domain/relations"
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

// clock is a time tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var scheduled = json.RawMessage(`{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","time":"2026-01-01T00:00:00Z","detail":{}}`)

// A write that read the user as active just before its deactivation can land after the first
// sweep. The first sweep returns at once, recording the final one; the schedule starts it once
// the settle time has passed, it erases the straggler, and only then is the erasure finished.
func TestFinalSweepErasesStragglingWrites(t *testing.T) {
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	clk := &clock{now: time.UnixMilli(1_767_225_600_000)}
	for _, u := range []string{"u", "v"} {
		if _, err := st.Register(ctx, "app", u, "Name", "", 1, false); err != nil {
			t.Fatal(err)
		}
		if err := st.Deactivate(ctx, "app", u, clk.Now().UnixMilli(), "op"); err != nil {
			t.Fatal(err)
		}
		if err := st.SeedRelated(ctx, "app", u, 30); err != nil {
			t.Fatal(err)
		}
	}
	next := &recorder{}
	w := &erasure.Worker{Store: st, Next: next, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Settle: 15 * time.Second, Now: clk.Now}
	job, _ := json.Marshal(users.Erasure{App: "app", Users: []string{"u", "v"}, OperateID: "op", At: clk.Now().UnixMilli()})
	if err := w.Run(ctx, job); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u", "v"} {
		if left, _ := st.ItemsOf(ctx, "app", u); len(left) != 1 {
			t.Fatalf("the first sweep left %d items of %s", len(left), u)
		}
		if got, _ := st.GetUser(ctx, "app", u); got.ErasePending != "op" {
			t.Fatalf("erasure marked finished before its final sweep: %+v", got)
		}
	}
	if err := st.SeedRelated(ctx, "app", "u", 7); err != nil { // the straggler
		t.Fatal(err)
	}

	// Before the settle time the schedule starts nothing.
	clk.advance(14 * time.Second)
	if err := w.Run(ctx, scheduled); err != nil {
		t.Fatal(err)
	}
	if len(next.jobs) != 0 {
		t.Fatalf("the schedule started %d sweeps before they were due", len(next.jobs))
	}
	clk.advance(2 * time.Second)
	if err := w.Run(ctx, scheduled); err != nil {
		t.Fatal(err)
	}
	sweep, ok := next.take()
	if !ok || !slices.Equal(sweep.Users, []string{"u", "v"}) || sweep.OperateID != "op" {
		t.Fatalf("the due sweep was not started: %+v", sweep)
	}
	// Started once: the record is gone.
	if err := w.Run(ctx, scheduled); err != nil {
		t.Fatal(err)
	}
	if extra, ok := next.take(); ok {
		t.Fatalf("a sweep was started twice: %+v", extra)
	}
	if err := w.Handle(ctx, sweep); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u", "v"} {
		if left, _ := st.ItemsOf(ctx, "app", u); len(left) != 1 {
			t.Fatalf("a write landing after the first sweep survived erasure: %d items of %s", len(left), u)
		}
		if got, _ := st.GetUser(ctx, "app", u); got.ErasePending != "" {
			t.Fatalf("erasure not marked finished: %+v", got)
		}
	}
}

// A first sweep that runs out of time records the final sweep of the users it finished before
// handing the rest over, so every user of the job gets one.
func TestHandOverKeepsTheFinalSweepOfUsersAlreadySwept(t *testing.T) {
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	clk := &clock{now: time.UnixMilli(1_767_225_600_000)}
	for _, u := range []string{"small", "big"} {
		if _, err := st.Register(ctx, "app", u, "Name", "", 1, false); err != nil {
			t.Fatal(err)
		}
		if err := st.Deactivate(ctx, "app", u, clk.Now().UnixMilli(), "op"); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SeedRelated(ctx, "app", "big", 3000); err != nil {
		t.Fatal(err)
	}
	next := &recorder{}
	const reserve = 10 * time.Second
	w := &erasure.Worker{Store: st, Next: next, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Reserve: reserve, Settle: time.Minute, Now: clk.Now}
	job := users.Erasure{App: "app", Users: []string{"small", "big"}, OperateID: "op", At: clk.Now().UnixMilli()}
	for ok := true; ok; job, ok = next.take() {
		ictx, cancel := context.WithTimeout(ctx, reserve+100*time.Millisecond)
		err := w.Handle(ictx, job)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	clk.advance(time.Minute)
	if err := w.Run(ctx, scheduled); err != nil {
		t.Fatal(err)
	}
	var swept []string
	for job, ok := next.take(); ok; job, ok = next.take() {
		swept = append(swept, job.Users...)
		if err := w.Handle(ctx, job); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(swept)
	if !slices.Equal(swept, []string{"big", "small"}) {
		t.Fatalf("final sweeps ran for %v, want both users", swept)
	}
	for _, u := range []string{"small", "big"} {
		if got, _ := st.GetUser(ctx, "app", u); got.ErasePending != "" {
			t.Fatalf("%s: erasure not finished: %+v", u, got)
		}
	}
}

// An event that is neither a tick nor a job is refused, not run.
func TestRunRefusesMalformedJobs(t *testing.T) {
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	w := &erasure.Worker{Store: st, Next: &recorder{}, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if err := w.Run(context.Background(), json.RawMessage(`{"app":"app","users":"u"}`)); err == nil {
		t.Fatal("a job whose users is not a list was accepted")
	}
}

// The erasure function finishes a friend clean handed to it: the friendships the job names end
// on both sides.
func TestRunFinishesAFriendClean(t *testing.T) {
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	if err := st.SeedFriends(ctx, "app", "owner", []string{"f1", "f2", "f3"}, 10); err != nil {
		t.Fatal(err)
	}
	w := &erasure.Worker{Store: st, Next: &recorder{}, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Friends: &relations.Service{Store: st, Now: time.Now}}
	if err := w.Run(ctx, json.RawMessage(`{"cleanFriends":{"app":"app","owner":"owner","before":10}}`)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"owner", "f1", "f2", "f3"} {
		if n, err := st.ListCount(ctx, "app", u, store.Friends); err != nil || n != 0 {
			t.Fatalf("%s counts %d friends after the clean, %v", u, n, err)
		}
	}
}
