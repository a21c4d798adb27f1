package profiles_test

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/profiles"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// service runs the rules over a fresh table with a clock that stands still at now.
func service(t *testing.T, now time.Time) (*profiles.Service, *store.Store, apps.App) {
	t.Helper()
	st := store.New(testenv.Client(t), testenv.NewTable(t, testenv.Client(t)))
	return &profiles.Service{Store: st, Now: func() time.Time { return now }}, st, testenv.NewApp(apps.Production)
}

func name(s string) profiles.Change { return profiles.Change{Text: map[string]*string{"name": &s}} }

// TestVersionIncreasesWithinOneMillisecond: two changes in the same millisecond still get
// strictly increasing versions, and a clean in between does not let the next version go back.
func TestVersionIncreasesWithinOneMillisecond(t *testing.T) {
	now := time.UnixMilli(1_767_225_600_000)
	svc, st, app := service(t, now)
	ctx := t.Context()
	if _, err := st.Register(ctx, app.Key, "alice", "Alice", "", now.UnixMilli(), false); err != nil {
		t.Fatal(err)
	}
	version := func() int64 {
		t.Helper()
		_, got, err := st.ProfileState(ctx, app.Key, []string{"alice"})
		if err != nil {
			t.Fatal(err)
		}
		return got["alice"].Version
	}
	want := now.UnixMilli()
	for i, step := range []func() error{
		func() error { return svc.Set(ctx, app, "alice", name("One")) },
		func() error { return svc.Set(ctx, app, "alice", name("Two")) },
		func() error { return svc.Clean(ctx, app, []string{"alice"}) },
		func() error { return svc.Set(ctx, app, "alice", name("Three")) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
		if v := version(); v != want+int64(i) {
			t.Fatalf("change %d: version %d, want %d", i+1, v, want+int64(i))
		}
	}
}

// TestListOrdersByRegistrationThenUserID registers users at chosen times, several in the same
// millisecond, and reads every page in both orders.
func TestListOrdersByRegistrationThenUserID(t *testing.T) {
	now := time.UnixMilli(1_767_225_600_000)
	svc, st, app := service(t, now)
	ctx := t.Context()
	var want []string
	for i := range 40 {
		at := now.UnixMilli() + int64(i/4)               // four users per millisecond
		user := fmt.Sprintf("u%c%02d", 'z'-rune(i%4), i) // within a millisecond, names run backwards
		if _, err := st.Register(ctx, app.Key, user, "", "", at, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.Set(ctx, app, user, name(user)); err != nil {
			t.Fatal(err)
		}
		want = append(want, user)
	}
	for i := 0; i < len(want); i += 4 {
		slices.Sort(want[i : i+4])
	}
	for _, newestFirst := range []bool{false, true} {
		expect := slices.Clone(want)
		if newestFirst {
			slices.Reverse(expect)
		}
		var got []string
		for page := 1; page <= 5; page++ {
			list, err := svc.List(ctx, app, page, 9, newestFirst)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range list {
				got = append(got, p.User)
			}
		}
		if !slices.Equal(got, expect) {
			t.Fatalf("newest first %v:\n got %v\nwant %v", newestFirst, got, expect)
		}
	}
}

// TestRacingSetsAllLand runs three sets of different keys on one profile at once, several
// rounds: each merges into what the others stored, so every key lands.
func TestRacingSetsAllLand(t *testing.T) {
	svc, st, app := service(t, time.Now())
	svc.Now = time.Now
	ctx := t.Context()
	if _, err := st.Register(ctx, app.Key, "alice", "", "", time.Now().UnixMilli(), false); err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := fmt.Sprint(round)
				key := fmt.Sprintf("ext_k%d", i)
				if err := svc.Set(ctx, app, "alice", profiles.Change{Ext: map[string]*string{key: &v}}); err != nil {
					t.Errorf("round %d, set of %s: %v", round, key, err)
				}
			}()
		}
		wg.Wait()
		_, got, err := st.ProfileState(ctx, app.Key, []string{"alice"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"ext_k0": fmt.Sprint(round), "ext_k1": fmt.Sprint(round), "ext_k2": fmt.Sprint(round)}
		if !maps.Equal(got["alice"].Ext, want) {
			t.Fatalf("round %d: %v, want %v", round, got["alice"].Ext, want)
		}
	}
}
