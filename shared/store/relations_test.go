package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
	"imusers/shared/testenv"
)

// crashing fails the chosen call as if the process died there: the call does not reach the
// table.
type crashing struct {
	store.DB
	failUpdate atomic.Int32 // fail the n-th UpdateItem from now (1 = the next one); 0 = never
	failWrite  atomic.Int32 // the same for BatchWriteItem
}

var errCrash = errors.New("simulated crash")

func (c *crashing) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if c.failUpdate.Load() > 0 && c.failUpdate.Add(-1) == 0 {
		return nil, errCrash
	}
	return c.DB.UpdateItem(ctx, in, o...)
}

func (c *crashing) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if c.failWrite.Load() > 0 && c.failWrite.Add(-1) == 0 {
		return nil, errCrash
	}
	return c.DB.BatchWriteItem(ctx, in, o...)
}

type relEnv struct {
	st    *store.Store
	crash *crashing
	calls *store.Counter
	db    *dynamodb.Client
	table string
}

func newRelEnv(t *testing.T, users ...string) *relEnv {
	t.Helper()
	db := testenv.Client(t)
	table := testenv.NewTable(t, db)
	crash := &crashing{DB: db}
	calls := &store.Counter{DB: crash}
	e := &relEnv{st: store.New(calls, table), crash: crash, calls: calls, db: db, table: table}
	for _, u := range users {
		if _, err := e.st.Register(context.Background(), "app", u, "Name "+u, "", 1, false); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// state returns a list's count, its entries (from the table itself) and the marks left on its
// counter, so a test sees everything the invariant is about.
func (e *relEnv) state(t *testing.T, owner string, kind store.Kind) (int64, []string, []string) {
	t.Helper()
	ctx := context.Background()
	count, err := e.st.ListCount(ctx, "app", owner, kind)
	if err != nil {
		t.Fatal(err)
	}
	sks, err := e.st.ItemsOf(ctx, "app", owner)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, sk := range sks {
		if len(sk) > 3 && sk[:3] == string(kind)+"#" {
			entries = append(entries, sk[3:])
		}
	}
	res, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(e.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "A#app#U#" + owner},
			"SK": &types.AttributeValueMemberS{Value: string(kind)},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	var marks []string
	for _, attr := range []string{"adding", "removing"} {
		if ss, ok := res.Item[attr].(*types.AttributeValueMemberSS); ok {
			for _, v := range ss.Value {
				marks = append(marks, attr+":"+v)
			}
		}
	}
	slices.Sort(entries)
	slices.Sort(marks)
	return count, entries, marks
}

func (e *relEnv) expect(t *testing.T, owner string, kind store.Kind, want []string, marksLeft bool) {
	t.Helper()
	count, entries, marks := e.state(t, owner, kind)
	if fmt.Sprint(entries) != fmt.Sprint(want) {
		t.Fatalf("%s %s entries = %v, want %v", owner, kind, entries, want)
	}
	if count != int64(len(want)) {
		t.Fatalf("%s %s count = %d with %d entries %v (marks %v)", owner, kind, count, len(want), entries, marks)
	}
	if !marksLeft && len(marks) > 0 {
		t.Fatalf("%s %s marks left behind: %v", owner, kind, marks)
	}
}

func TestListCountSurvivesCrashesAtEveryStep(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice")
	add := func(targets ...string) error {
		return e.st.AddEntries(ctx, "app", store.Blocklist, "alice", targets, 5, 1000, nil)
	}
	remove := func(targets ...string) error {
		return e.st.RemoveEntries(ctx, "app", store.Blocklist, "alice", targets, nil)
	}

	// Crash between reserve and write: the count moved, the entries did not.
	e.crash.failWrite.Store(1)
	if err := add("b", "c"); !errors.Is(err, errCrash) {
		t.Fatalf("add = %v, want the crash", err)
	}
	if count, entries, _ := e.state(t, "alice", store.Blocklist); count != 2 || len(entries) != 0 {
		t.Fatalf("after the crash: count %d, entries %v", count, entries)
	}
	// The retry writes them without counting them again.
	if err := add("b", "c"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"b", "c"}, false)

	// Crash between write and confirm: a mark stays, and the next request on it drops it.
	e.crash.failUpdate.Store(2)
	if err := add("d"); !errors.Is(err, errCrash) {
		t.Fatalf("add = %v, want the crash", err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"b", "c", "d"}, true)
	if err := add("d"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"b", "c", "d"}, false)

	// The same for removals.
	e.crash.failWrite.Store(1)
	if err := remove("b", "zz"); !errors.Is(err, errCrash) {
		t.Fatalf("remove = %v, want the crash", err)
	}
	if count, entries, _ := e.state(t, "alice", store.Blocklist); count != 2 || len(entries) != 3 {
		t.Fatalf("after the crash: count %d, entries %v", count, entries)
	}
	if err := remove("b", "zz"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"c", "d"}, false)

	// A crashed add that nobody retried is repaired by a removal of the same target...
	e.crash.failWrite.Store(1)
	if err := add("e"); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	if err := remove("e"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"c", "d"}, false)
	// ...and a crashed removal by an add of it.
	e.crash.failWrite.Store(1)
	if err := remove("c"); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	if err := add("c"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"c", "d"}, false)

	// The limit (5) counts exactly: three more fit, a fourth does not, and nothing of a refused
	// request is written.
	if err := add("f", "g", "h", "i"); !errors.Is(err, store.ErrListFull) {
		t.Fatalf("add past the limit = %v", err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"c", "d"}, false)
	if err := add("f", "g", "h"); err != nil {
		t.Fatal(err)
	}
	if err := add("c", "d"); err != nil {
		t.Fatalf("adding listed targets to a full list changes nothing and must pass: %v", err)
	}
	if err := add("x"); !errors.Is(err, store.ErrListFull) {
		t.Fatalf("add to a full list = %v", err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"c", "d", "f", "g", "h"}, false)
	// The whitelist is a list of its own.
	if err := e.st.AddEntries(ctx, "app", store.Whitelist, "alice", []string{"x"}, 5, 1000, nil); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Whitelist, []string{"x"}, false)
}

func TestListChangeBudget(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice")
	targets := make([]string, 20)
	for i := range targets {
		targets[i] = fmt.Sprint("t", i)
	}
	e.calls.Reset()
	if err := e.st.AddEntries(ctx, "app", store.Blocklist, "alice", targets, 3000, 1000, nil); err != nil {
		t.Fatal(err)
	}
	if c := e.calls.Calls(); c.BatchGetItem != 1 || c.UpdateItem != 2 || c.BatchWriteItem != 1 || c.Total() != 4 {
		t.Fatalf("adding 20 entries made %+v; want 1 read, 1 reserve, 1 write, 1 confirm", c)
	}
	e.calls.Reset()
	if err := e.st.AddEntries(ctx, "app", store.Blocklist, "alice", targets, 3000, 1000, nil); err != nil {
		t.Fatal(err)
	}
	if c := e.calls.Calls(); c.Total() != 1 {
		t.Fatalf("adding listed entries again made %+v; want the read only", c)
	}
}

func TestFriendshipCountsBothSides(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "a", "b", "c")
	// A crash between the reserve of both counters and the write leaves both counted; the retry
	// writes both sides and counts neither again.
	e.crash.failWrite.Store(1)
	if err := e.st.AddFriendship(ctx, "app", "a", "b", 1000, nil); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	if err := e.st.AddFriendship(ctx, "app", "a", "b", 1000, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddFriendship(ctx, "app", "c", "a", 2000, nil); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "a", store.Friends, []string{"b", "c"}, false)
	e.expect(t, "b", store.Friends, []string{"a"}, false)
	e.expect(t, "c", store.Friends, []string{"a"}, false)

	// Only one side's reserve went through: the retry finishes the other.
	e.crash.failUpdate.Store(1)
	err := e.st.RemoveFriendships(ctx, "app", "a", []string{"b"}, nil)
	if !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	if err := e.st.RemoveFriendships(ctx, "app", "a", []string{"b"}, nil); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "a", store.Friends, []string{"c"}, false)
	e.expect(t, "b", store.Friends, nil, false)

	if err := e.st.ClearFriends(ctx, "app", "a", nil); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "a", store.Friends, nil, false)
	e.expect(t, "c", store.Friends, nil, false)
}

func TestCheckRefusesBeforeAnyWrite(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice")
	refuse := errors.New("refused")
	var seen map[string]*store.Member
	e.calls.Reset()
	err := e.st.AddEntries(ctx, "app", store.Blocklist, "alice", []string{"bob"}, 10, 1, func(u map[string]*store.Member) error {
		seen = u
		return refuse
	})
	if !errors.Is(err, refuse) {
		t.Fatalf("err = %v", err)
	}
	if c := e.calls.Calls(); c.Total() != 1 {
		t.Fatalf("a refused change made %+v", c)
	}
	if seen["alice"] == nil || len(seen) != 1 {
		t.Fatalf("check saw %v; want alice's profile", seen)
	}
	e.expect(t, "alice", store.Blocklist, nil, false)
}
