package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"imusers/shared/store"
)

// A refused connect's record is taken back without a trace where it created the presence item,
// and without touching any other connection of the user, however the connects interleave.
func TestWithdrawLeavesOnlyOtherConnections(t *testing.T) {
	st, calls := newStore(t)
	ctx := context.Background()
	ids := func(user string) []string {
		t.Helper()
		conns, err := st.Connections(ctx, "app", user, store.Strong)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range conns {
			out = append(out, c.ID)
		}
		slices.Sort(out)
		return out
	}
	items := func(user string) []string {
		t.Helper()
		sks, err := st.ItemsOf(ctx, "app", user)
		if err != nil {
			t.Fatal(err)
		}
		return sks
	}
	record := func(user, conn string) store.Recorded {
		t.Helper()
		r, err := st.Record(ctx, "app", user, conn, 1000)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	withdraw := func(r store.Recorded) {
		t.Helper()
		if err := st.Withdraw(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	// Alone: the item goes, in one write.
	r := record("ann", "refused")
	calls.Reset()
	withdraw(r)
	if got := calls.Calls(); got.Total() != 1 || got.DeleteItem != 1 {
		t.Errorf("withdrawing a lone connection made %+v, want one DeleteItem", got)
	}
	if left := items("ann"); len(left) != 0 {
		t.Errorf("a withdrawn lone connection left items %v", left)
	}

	// Another connect came after it: only the refused connection goes.
	r = record("bea", "refused")
	record("bea", "later")
	withdraw(r)
	if got := ids("bea"); !slices.Equal(got, []string{"later"}) {
		t.Errorf("after withdrawing, bea's connections are %v, want [later]", got)
	}

	// Others were there before it: only the refused connection goes.
	record("cat", "earlier")
	withdraw(record("cat", "refused"))
	if got := ids("cat"); !slices.Equal(got, []string{"earlier"}) {
		t.Errorf("after withdrawing, cat's connections are %v, want [earlier]", got)
	}

	// The item was erased meanwhile (a deactivation): nothing comes back, and withdrawing twice
	// (a retried authorizer) is harmless.
	r = record("dan", "refused")
	if _, err := st.EraseRelated(ctx, "app", "dan", func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	withdraw(r)
	withdraw(r)
	if left := items("dan"); len(left) != 0 {
		t.Errorf("withdrawing after erasure left items %v", left)
	}
}

// A user's recorded connections are capped at MaxConnections: one more is refused and stores
// nothing; a disconnect frees a place; lapsed connections that fill the item are cleared to
// make room, so killed clients lock nobody out.
func TestConnectionsAreCappedPerUser(t *testing.T) {
	st, calls := newStore(t)
	ctx := context.Background()
	const t0 = int64(1_000_000)
	count := func(now int64) (recorded, live int) {
		t.Helper()
		conns, err := st.Connections(ctx, "app", "bot", store.Strong)
		if err != nil {
			t.Fatal(err)
		}
		return len(conns), len(store.Live(conns, now))
	}
	for i := range store.MaxConnections {
		if err := st.Connect(ctx, "app", "bot", fmt.Sprint("c", i), t0); err != nil {
			t.Fatalf("connection %d of %d refused: %v", i+1, store.MaxConnections, err)
		}
	}
	calls.Reset()
	if _, err := st.Record(ctx, "app", "bot", "one-more", t0); !errors.Is(err, store.ErrTooManyConnections) {
		t.Fatalf("connection %d: %v, want ErrTooManyConnections", store.MaxConnections+1, err)
	}
	// The refused write, then the strong read that finds nothing lapsed to clear.
	if got := calls.Calls(); got.UpdateItem != 1 || got.GetItem != 1 || got.Total() != 2 {
		t.Errorf("a refused connect made %+v", got)
	}
	if n, _ := count(t0); n != store.MaxConnections {
		t.Fatalf("%d connections recorded after the refusal, want %d", n, store.MaxConnections)
	}

	if err := st.Disconnect(ctx, "app", "bot", "c0"); err != nil {
		t.Fatal(err)
	}
	if err := st.Disconnect(ctx, "app", "bot", "c0"); err != nil {
		t.Fatal(err) // a second $disconnect of the same connection uncounts nothing
	}
	if err := st.Connect(ctx, "app", "bot", "after-a-disconnect", t0); err != nil {
		t.Fatalf("a disconnect did not free a place: %v", err)
	}
	if _, err := st.Record(ctx, "app", "bot", "still-full", t0); !errors.Is(err, store.ErrTooManyConnections) {
		t.Fatalf("the freed place was counted twice: %v", err)
	}

	// Every connection has lapsed (no $disconnect came): the next connect clears them all.
	later := t0 + store.ConnectionMaxAge.Milliseconds()
	if err := st.Connect(ctx, "app", "bot", "fresh", later); err != nil {
		t.Fatalf("lapsed connections locked the user out: %v", err)
	}
	if n, live := count(later); n != 1 || live != 1 {
		t.Fatalf("after clearing, %d connections recorded (%d live), want only the new one", n, live)
	}
	for i := range store.MaxConnections - 1 {
		if err := st.Connect(ctx, "app", "bot", fmt.Sprint("d", i), later); err != nil {
			t.Fatalf("after clearing, connection %d refused: %v", i+2, err)
		}
	}
	if _, err := st.Record(ctx, "app", "bot", "full-again", later); !errors.Is(err, store.ErrTooManyConnections) {
		t.Fatalf("the cleared connections are still counted wrong: %v", err)
	}
}

// The SDK retries a write whose answer was lost; when the first attempt had landed, the retry
// is refused by the write's own condition. A connect repeated at the same instant is that
// retry: it stands, and the connection is counted once.
func TestARetriedConnectWhoseFirstWriteLandedStands(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	const t0 = int64(1_000_000)
	for range 2 {
		if err := st.Connect(ctx, "app", "bot", "c1", t0); err != nil {
			t.Fatalf("retried connect: %v", err)
		}
	}
	// A later connect with the id of a recorded connection is no retry: it is refused.
	if err := st.Connect(ctx, "app", "bot", "c1", t0+1); err == nil {
		t.Fatal("a second connect with a recorded connection's id at a later time was accepted")
	}
	for i := range store.MaxConnections - 1 {
		if err := st.Connect(ctx, "app", "bot", fmt.Sprint("d", i), t0); err != nil {
			t.Fatalf("connection %d refused: the retried connect was counted twice: %v", i+2, err)
		}
	}
	if _, err := st.Record(ctx, "app", "bot", "one-more", t0); !errors.Is(err, store.ErrTooManyConnections) {
		t.Fatalf("connection %d: %v, want ErrTooManyConnections", store.MaxConnections+1, err)
	}
}
