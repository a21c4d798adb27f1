package racecheck_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// entries lists the targets of user's entries of one kind, read straight from the table.
func entries(t *testing.T, s *testenv.Stack, user string, kind store.Kind) []string {
	t.Helper()
	sks, err := s.Service.Store.ItemsOf(context.Background(), s.Apps[0].Key, user)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sk := range sks {
		if target, ok := strings.CutPrefix(sk, string(kind)+"#"); ok {
			out = append(out, target)
		}
	}
	slices.Sort(out)
	return out
}

// checkSymmetric requires every friendship among users to be recorded on both sides.
func checkSymmetric(t *testing.T, s *testenv.Stack, users []string) {
	t.Helper()
	for _, a := range users {
		for _, b := range entries(t, s, a, store.Friends) {
			if !slices.Contains(entries(t, s, b, store.Friends), a) {
				t.Errorf("one-sided friendship: %s lists %s, %s does not list %s", a, b, b, a)
			}
		}
	}
}

// raceFriends has the workers add and delete friendships among users, from both sides.
func raceFriends(t *testing.T, c *testenv.APIClient, users []string) {
	t.Helper()
	race(t, func(w, r int) error {
		a, b := users[w%len(users)], users[(w+1+r)%len(users)]
		if a == b {
			return nil
		}
		path, f := "/friend/add.json", form("userId", a, "targetId", b, "optType", "2")
		if (w+r)%4 == 3 {
			path, f = "/friend/delete.json", form("userId", a, "targetIds", b)
		}
		res, err := post(c, path, f)
		if err != nil {
			return err
		}
		// A request that kept losing races on one list may give up with 1000; a retry would
		// finish it. Anything else is a fault.
		if code := res.Code(); code != 200 && code != 1000 {
			return fmt.Errorf("%s %s-%s: HTTP %d %s", path, a, b, res.Status, res.Raw)
		}
		return nil
	})
}

// Friend adds from both sides, and deletes, racing each other: once every call has answered,
// each friendship is recorded on both sides or on neither.
func TestFriendAddFromBothSidesRacing(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	users := []string{"f0", "f1", "f2", "f3"}
	for _, u := range users {
		register(t, c, u)
	}
	raceFriends(t, c, users)
	checkSymmetric(t, s, users)
	// Each pair once more from both sides at once: afterwards every pair is mutual.
	race(t, func(w, r int) error {
		a, b := users[w%len(users)], users[r%len(users)]
		if a == b {
			return nil
		}
		res, err := post(c, "/friend/add.json", form("userId", a, "targetId", b, "optType", "2"))
		if err == nil && res.Code() != 200 {
			res, err = post(c, "/friend/add.json", form("userId", a, "targetId", b, "optType", "2"))
			if err == nil && res.Code() != 200 {
				err = fmt.Errorf("friend add %s-%s twice: HTTP %d %s", a, b, res.Status, res.Raw)
			}
		}
		return err
	})
	for _, a := range users {
		if got := entries(t, s, a, store.Friends); len(got) != len(users)-1 {
			t.Errorf("%s has friends %v after every pair was added", a, got)
		}
	}
	checkSymmetric(t, s, users)
}

// After racing adds and deletes, each user's friend count (totalCount, and what the list limit
// is checked against) equals the friendships recorded.
func TestFriendCountsMatchEntriesAfterRacing(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	users := []string{"f0", "f1", "f2", "f3"}
	for _, u := range users {
		register(t, c, u)
	}
	raceFriends(t, c, users)
	for _, u := range users {
		n, err := s.Service.Store.ListCount(context.Background(), s.Apps[0].Key, u, store.Friends)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(entries(t, s, u, store.Friends)); n != int64(got) {
			t.Errorf("%s: count %d, friendships recorded %d", u, n, got)
		}
	}
}

// Blocklist and whitelist adds and removals of the same targets racing, from many clients at
// once: afterwards each list's count (what the 3,000-entry limit is checked against) equals its
// entries.
func TestListCountsMatchEntriesAfterRacing(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	owners := []string{"l0", "l1"}
	for _, u := range owners {
		register(t, c, u)
	}
	// Targets need not be registered: a list names whoever sends under that userId.
	targets := []string{"t0", "t1", "t2", "t3"}
	lists := []struct {
		kind        store.Kind
		path, param string
	}{
		{store.Blocklist, "/user/blacklist/", "blackUserId"},
		{store.Whitelist, "/user/whitelist/", "whiteUserId"},
	}
	race(t, func(w, r int) error {
		l := lists[(w/2+r)%len(lists)]
		op := "add.json"
		if (w+r)%3 == 0 {
			op = "remove.json"
		}
		picked := targets[(w+r)%len(targets)] + "," + targets[(w*r+1)%len(targets)]
		res, err := post(c, l.path+op, form("userId", owners[w%len(owners)], l.param, picked))
		if err != nil {
			return err
		}
		// As with friends: a call that kept meeting others' changes may give up with 1000.
		if code := res.Code(); code != 200 && code != 1000 {
			return fmt.Errorf("%s%s %s: HTTP %d %s", l.path, op, picked, res.Status, res.Raw)
		}
		return nil
	})
	for _, u := range owners {
		for _, l := range lists {
			n, err := s.Service.Store.ListCount(context.Background(), s.Apps[0].Key, u, l.kind)
			if err != nil {
				t.Fatal(err)
			}
			if got := entries(t, s, u, l.kind); n != int64(len(got)) {
				t.Errorf("%s %s: count %d, entries %v", u, l.kind, n, got)
			}
		}
	}
}

// A user deactivated while its blocklist and friendships are being written ends with none of
// them once every call has answered and erasure has run; no one keeps the erased user as a
// friend.
func TestDeactivateDuringRelationWrites(t *testing.T) {
	// Erasure sweeps again once every write that started before the deactivation has landed:
	// here, calls answer well within the settle time given, and the schedule starts that final
	// sweep once the clock has passed it.
	const settle = 3 * time.Second
	s := testenv.StartStackWith(t, testenv.Options{Configure: func(c *service.Config) { c.ErasureSettle = settle }})
	c := s.Client(0)
	others := make([]string, workers*rounds)
	for i := range others {
		others[i] = fmt.Sprint("o", i)
		register(t, c, others[i])
	}
	register(t, c, "gone")
	race(t, func(w, r int) error {
		other := others[w*rounds+r]
		var path string
		var f = form("userId", "gone", "blackUserId", other)
		switch {
		case w == 0 && r == rounds/2:
			path, f = "/user/deactivate.json", form("userId", "gone")
		case w%2 == 0:
			path = "/user/blacklist/add.json"
		default:
			path, f = "/friend/add.json", form("userId", other, "targetId", "gone", "optType", "2")
		}
		res, err := post(c, path, f)
		if err != nil {
			return err
		}
		if code := res.Code(); code != 200 && code != 3002 {
			return fmt.Errorf("%s: HTTP %d %s", path, res.Status, res.Raw)
		}
		return nil
	})
	s.Gateway.Wait()
	s.Clock.Advance(settle)
	s.Tick(t, "eraseUsers")
	if u, err := s.Service.Store.GetUser(context.Background(), s.Apps[0].Key, "gone"); err != nil || u.ErasePending != "" {
		t.Fatalf("erasure not finished after its final sweep: %+v, %v", u, err)
	}
	for _, kind := range []store.Kind{store.Blocklist, store.Friends} {
		if left := entries(t, s, "gone", kind); len(left) > 0 {
			t.Errorf("the deactivated user keeps %d %s entries: %v", len(left), kind, left)
		}
	}
	for _, o := range others {
		if slices.Contains(entries(t, s, o, store.Friends), "gone") {
			t.Errorf("%s keeps the deactivated user as a friend", o)
		}
	}
}
