package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"imusers/shared/store"
	"imusers/shared/testenv"
)

func newStore(t *testing.T) (*store.Store, *store.Counter) {
	c := &store.Counter{DB: testenv.Client(t)}
	return store.New(c, testenv.NewTable(t, testenv.Client(t))), c
}

func TestDevSlotsCapAndRelease(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	for i := range 3 {
		if err := st.ReserveDevSlot(ctx, "app", fmt.Sprint("u", i), 3); err != nil {
			t.Fatalf("reserve %d: %v", i, err)
		}
	}
	if err := st.ReserveDevSlot(ctx, "app", "u9", 3); !errors.Is(err, store.ErrCapReached) {
		t.Fatalf("fourth user: got %v, want ErrCapReached", err)
	}
	if err := st.ReserveDevSlot(ctx, "app", "u1", 3); err != nil {
		t.Fatalf("known user at the cap must pass: %v", err)
	}
	if err := st.ReserveDevSlot(ctx, "other", "u9", 3); err != nil {
		t.Fatalf("another app has its own cap: %v", err)
	}
	if err := st.ReleaseDevSlots(ctx, "app", []string{"u0"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReserveDevSlot(ctx, "app", "u9", 3); err != nil {
		t.Fatalf("after release: %v", err)
	}
	ids, err := st.DevSlots(ctx, "app")
	if err != nil || len(ids) != 3 {
		t.Fatalf("slots = %v, %v", ids, err)
	}
}

func TestRegisterDeactivateReactivate(t *testing.T) {
	st, calls := newStore(t)
	ctx := context.Background()
	if _, err := st.Register(ctx, "app", "alice", "Alice", "http://p", 1000, true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Register(ctx, "app", "alice", "Alice2", "", 2000, true); err != nil {
		t.Fatal(err)
	}
	calls.Reset()
	u, err := st.GetUser(ctx, "app", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Alice2" || u.CreatedAt != 1000 || u.ID != "alice" {
		t.Fatalf("user = %+v", u)
	}
	if got := calls.Calls().Total(); got != 1 {
		t.Fatalf("GetUser made %d calls", got)
	}
	if err := st.Deactivate(ctx, "app", "alice", 3000, "op1"); err != nil {
		t.Fatal(err)
	}
	if err := st.Deactivate(ctx, "app", "nobody", 3000, "op1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deactivate unknown: %v", err)
	}
	if _, err := st.Register(ctx, "app", "alice", "X", "", 4000, true); !errors.Is(err, store.ErrDeactivated) {
		t.Fatalf("register deactivated: %v", err)
	}
	if err := st.UpdateProfile(ctx, "app", "alice", "Y", ""); !errors.Is(err, store.ErrDeactivated) {
		t.Fatalf("update deactivated: %v", err)
	}
	if err := st.UpdateProfile(ctx, "app", "bob", "Y", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	u, _ = st.GetUser(ctx, "app", "alice")
	if !u.Deactivated() || u.Name != "" || u.Portrait != "" || u.ErasePending != "op1" {
		t.Fatalf("deactivated user = %+v", u)
	}
	list, err := st.ListDeactivated(ctx, "app", 1, 50)
	if err != nil || len(list) != 1 || list[0] != "alice" {
		t.Fatalf("deactivated list = %v, %v", list, err)
	}
	if err := st.Reactivate(ctx, "app", "alice", 5000); err != nil {
		t.Fatal(err)
	}
	u, _ = st.GetUser(ctx, "app", "alice")
	if u.Deactivated() || u.NotBefore != 5000 {
		t.Fatalf("reactivated user = %+v", u)
	}
	list, _ = st.ListDeactivated(ctx, "app", 1, 50)
	if len(list) != 0 {
		t.Fatalf("still listed: %v", list)
	}
}

func TestListDeactivatedPagesAcrossShards(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	var want []string
	for i := range 23 {
		id := fmt.Sprintf("user%02d", i)
		want = append(want, id)
		if _, err := st.Register(ctx, "app", id, "n", "", 1, false); err != nil {
			t.Fatal(err)
		}
		if err := st.Deactivate(ctx, "app", id, int64(100+i), "op"); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for page := 1; ; page++ {
		ids, err := st.ListDeactivated(ctx, "app", page, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) == 0 {
			break
		}
		got = append(got, ids...)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v", got, want)
	}
}
