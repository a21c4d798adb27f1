package store_test

import (
	"context"
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
