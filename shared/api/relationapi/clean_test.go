package relationapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"imusers/shared/domain/relations"
	par "imusers/shared/parallel"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// peakUpdates is the DynamoDB client with a record of the most UpdateItems in flight at once.
type peakUpdates struct {
	store.DB
	now, peak atomic.Int64
}

func (p *peakUpdates) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	n := p.now.Add(1)
	defer p.now.Add(-1)
	for {
		if old := p.peak.Load(); n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	return p.DB.UpdateItem(ctx, in, optFns...)
}

func seedFriends(t *testing.T, s *testenv.Stack, owner string, n int, at int64) []string {
	t.Helper()
	friends := make([]string, n)
	for i := range friends {
		friends[i] = fmt.Sprintf("f%04d", i)
	}
	if err := s.Service.Store.SeedFriends(context.Background(), s.Apps[0].Key, owner, friends, at); err != nil {
		t.Fatal(err)
	}
	return friends
}

// expectNoFriendships checks that owner and every one of friends neither list each other nor
// count a friend, and that owner lists and counts exactly kept.
func expectNoFriendships(t *testing.T, s *testenv.Stack, owner string, friends, kept []string) {
	t.Helper()
	ctx, app := context.Background(), s.Apps[0].Key
	left, err := s.Service.Store.ItemsOf(ctx, app, owner)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, sk := range left {
		if f, ok := strings.CutPrefix(sk, "FR#"); ok {
			listed = append(listed, f)
		}
	}
	if !slices.Equal(listed, kept) {
		t.Fatalf("owner lists %v after clean, want %v", listed, kept)
	}
	if total, err := s.Service.Store.ListCount(ctx, app, owner, store.Friends); err != nil || total != int64(len(kept)) {
		t.Fatalf("owner's friend count after clean: %d, %v; want %d", total, err, len(kept))
	}
	for _, err := range par.Do(ctx, len(friends), 16, func(ctx context.Context, i int) error {
		left, err := s.Service.Store.ItemsOf(ctx, app, friends[i])
		if err != nil {
			return err
		}
		if slices.Contains(left, "FR#"+owner) {
			return fmt.Errorf("%s still lists %s", friends[i], owner)
		}
		total, err := s.Service.Store.ListCount(ctx, app, friends[i], store.Friends)
		if err != nil {
			return err
		}
		if total != 0 {
			return fmt.Errorf("%s counts %d friends", friends[i], total)
		}
		return nil
	}) {
		if err != nil {
			t.Error(err)
		}
	}
}

// The round trips of clearing 3,000 friends: one Query per 1,000 friends (and one that finds
// the end), and per 100 friends 4 batched reads, a reserve and a settle on each of the 101
// counters, and 8 batch writes; the hundreds run one after another (they all move the owner's
// counter), each with its counter updates side by side, at most 10 in flight. In AWS that is
// 30 rounds of some 25 round trips.
func TestCleanBudgetOfThreeThousandFriends(t *testing.T) {
	const n = 3000
	peak := &peakUpdates{DB: testenv.Client(t)}
	s := testenv.StartStackWith(t, testenv.Options{DB: peak})
	s.Client(0).Register(t, "owner")
	friends := seedFriends(t, s, "owner", n, 1)

	s.Calls.Reset()
	peak.peak.Store(0)
	done, err := s.Service.Store.ClearFriends(context.Background(), s.Apps[0].Key, "owner", 2, nil, nil)
	if err != nil || !done {
		t.Fatalf("clear: done %v, %v", done, err)
	}
	calls := s.Calls.Calls()
	chunks := int64(n / 100)
	want := store.Calls{Query: n/1000 + 1, BatchGetItem: 4 * chunks, UpdateItem: 2 * 101 * chunks, BatchWriteItem: 8 * chunks}
	if calls != want {
		t.Errorf("clean of %d friends made %+v (%d calls), want %+v (%d)", n, calls, calls.Total(), want, want.Total())
	}
	if p := peak.peak.Load(); p <= 1 || p > 10 {
		t.Errorf("%d counter updates were in flight at once, want a hundred's updates side by side, at most 10", p)
	}
	expectNoFriendships(t, s, "owner", friends, nil)
}

// /friend/clean.json of 3,000 friends ends every friendship on both sides and leaves every
// counter at zero: what the call's time does not cover (dynalite on a shared machine serves far
// fewer calls a second than DynamoDB) goes on in the erasure function, which ends only the
// friendships made before the call, so a friend added after the answer stays.
func TestCleanThreeThousandFriends(t *testing.T) {
	const n = 3000
	s := testenv.StartStack(t)
	c := s.Client(0)
	c.Register(t, "owner")
	c.Register(t, "late")
	friends := seedFriends(t, s, "owner", n, s.Clock.Now().UnixMilli()-1000)

	c.MustOK(t, "/friend/clean.json", form("userId", "owner"))
	s.Clock.Advance(time.Second) // the add comes after the clean began, whatever the machine's speed
	c.MustOK(t, "/friend/add.json", form("userId", "owner", "targetId", "late", "optType", "2"))
	s.Gateway.Wait()
	expectNoFriendships(t, s, "owner", friends, []string{"late"})
	if list, total := friendsOf(t, s, c, "owner", 50, 0); len(list) != 1 || total != 1 {
		t.Fatalf("after clean and one add the listing shows %v, total %d", list, total)
	}
}

// laterJobs stands in for the asynchronous invocation that finishes a clean.
type laterJobs struct{ jobs []relations.CleanJob }

func (l *laterJobs) CleanFriends(_ context.Context, job relations.CleanJob) error {
	l.jobs = append(l.jobs, job)
	return nil
}

// A clean whose call runs short of time leaves the rest to Later and answers; the rest ends
// the friendships made before the call and no other, and hands over nothing when its time
// suffices.
func TestCleanShortOfTimeHandsTheRestOver(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	c.Register(t, "owner")
	c.Register(t, "late")
	friends := seedFriends(t, s, "owner", 500, s.Clock.Now().UnixMilli()-1000)
	later := &laterJobs{}
	svc := &relations.Service{Store: s.Service.Store, Now: s.Clock.Now, Later: later}
	app := s.Apps[0]

	// The call's time is within the reserve from the start: only the first change, which
	// judges the owner, runs in it.
	ctx, cancel := context.WithTimeout(context.Background(), relations.CleanReserve-time.Millisecond)
	err := svc.CleanFriends(ctx, app, "owner")
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if len(later.jobs) != 1 || later.jobs[0].Owner != "owner" || later.jobs[0].App != app.Key {
		t.Fatalf("handed over %+v", later.jobs)
	}
	if total, _ := s.Service.Store.ListCount(context.Background(), app.Key, "owner", store.Friends); total != 400 {
		t.Fatalf("the call short of time left %d of 500 friendships, want the first hundred ended", total)
	}
	s.Clock.Advance(time.Second)
	c.MustOK(t, "/friend/add.json", form("userId", "owner", "targetId", "late", "optType", "2"))
	job := later.jobs[0]
	later.jobs = nil
	if err := svc.FinishClean(context.Background(), job, func() bool { return false }); err != nil {
		t.Fatal(err)
	}
	if len(later.jobs) != 0 {
		t.Fatalf("a clean given all the time it needs handed over again: %+v", later.jobs)
	}
	expectNoFriendships(t, s, "owner", friends, []string{"late"})
}
