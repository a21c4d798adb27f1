package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// crashing fails the chosen call as if the process died there: the call does not reach the
// table. With dies set the process stays dead: every later call fails too, so nothing is handed
// over. It also refuses what DynamoDB would refuse and dynalite takes: an expression over 4 KB.
type crashing struct {
	store.DB
	failUpdate atomic.Int32 // fail the n-th UpdateItem from now (1 = the next one); 0 = never
	failWrite  atomic.Int32 // the same for BatchWriteItem
	dies       atomic.Bool
	dead       atomic.Bool
	// Run once, then forgotten: after the next BatchGetItem answers (it may change the answer),
	// before the next BatchWriteItem is sent; to hold a request between its steps.
	afterRead   atomic.Pointer[func(*dynamodb.BatchGetItemOutput)]
	beforeWrite atomic.Pointer[func()]
}

var errCrash = errors.New("simulated crash")

func (c *crashing) crashes(n *atomic.Int32) bool {
	if c.dead.Load() {
		return true
	}
	if n.Load() > 0 && n.Add(-1) == 0 {
		c.dead.Store(c.dies.Load())
		return true
	}
	return false
}

func (c *crashing) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if u, cond := aws.ToString(in.UpdateExpression), aws.ToString(in.ConditionExpression); len(u) > 4096 || len(cond) > 4096 {
		return nil, fmt.Errorf("expression over DynamoDB's 4 KB limit: update %d, condition %d bytes", len(u), len(cond))
	}
	if c.crashes(&c.failUpdate) {
		return nil, errCrash
	}
	return c.DB.UpdateItem(ctx, in, optFns...)
}

func (c *crashing) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f := c.beforeWrite.Swap(nil); f != nil {
		(*f)()
	}
	if c.crashes(&c.failWrite) {
		return nil, errCrash
	}
	return c.DB.BatchWriteItem(ctx, in, optFns...)
}

func (c *crashing) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if c.dead.Load() {
		return nil, errCrash
	}
	out, err := c.DB.BatchGetItem(ctx, in, optFns...)
	if f := c.afterRead.Swap(nil); f != nil && err == nil {
		(*f)(out)
	}
	return out, err
}

// counterKey is the key of owner's counter item of a list in the test app.
func counterKey(owner string, kind store.Kind) map[string]types.AttributeValue {
	k, err := attributevalue.MarshalMap(struct{ PK, SK string }{"A#app#U#" + owner, string(kind)})
	if err != nil {
		panic(err)
	}
	return k
}

// clock is the time list changes date their marks by; tests move it.
type clock struct{ ms atomic.Int64 }

func (c *clock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *clock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

type relEnv struct {
	st    *store.Store
	crash *crashing
	calls *store.Counter
	clock *clock
	db    *dynamodb.Client
	table string
}

func newRelEnv(t *testing.T, users ...string) *relEnv {
	t.Helper()
	db := testenv.Client(t)
	table := testenv.NewTable(t, testenv.Client(t))
	crash := &crashing{DB: db}
	calls := &store.Counter{DB: crash}
	e := &relEnv{st: store.New(calls, table), crash: crash, calls: calls, clock: &clock{}, db: db, table: table}
	e.clock.ms.Store(time.Now().UnixMilli())
	store.SetClock(e.st, e.clock.now)
	for _, u := range users {
		if _, err := e.st.Register(context.Background(), "app", u, "Name "+u, "", 1, false); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// other is another instance of the service on the same table and clock (another Lambda), not
// subject to the crashes and holds of e.st.
func (e *relEnv) other() *store.Store {
	st := store.New(&crashing{DB: e.db}, e.table)
	store.SetClock(st, e.clock.now)
	return st
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
		TableName:      aws.String(e.table),
		Key:            counterKey(owner, kind),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every mark: "a…" adding, "r…" removing.
	var marks []string
	for name, v := range res.Item {
		target, ok := strings.CutPrefix(name, "m#")
		var mark string
		if ok && attributevalue.Unmarshal(v, &mark) == nil && mark != "" {
			marks = append(marks, mark[:1]+":"+target)
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
	// The request lived on and released its marks to the next one, which waits a moment first
	// (a write the SDK gave up on might still land): a retry at once gives up, changing nothing.
	store.SetPatience(e.st, 50*time.Millisecond)
	if err := add("b", "c"); err == nil || errors.Is(err, errCrash) {
		t.Fatalf("retry within the grace = %v, want it to give up", err)
	}
	if count, entries, _ := e.state(t, "alice", store.Blocklist); count != 2 || len(entries) != 0 {
		t.Fatalf("after the retry that gave up: count %d, entries %v", count, entries)
	}
	// A second later the retry writes them without counting them again.
	e.clock.advance(time.Second)
	if err := add("b", "c"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"b", "c"}, false)

	// Crash between write and confirm: the entries are written, so the marks are released at
	// once, and the next request on them settles them.
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
	e.clock.advance(time.Second)
	if err := remove("b", "zz"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"c", "d"}, false)

	// A crashed add that nobody retried is repaired by a removal of the same target...
	e.crash.failWrite.Store(1)
	if err := add("e"); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	e.clock.advance(time.Second)
	if err := remove("e"); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"c", "d"}, false)
	// ...and a crashed removal by an add of it.
	e.crash.failWrite.Store(1)
	if err := remove("c"); !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	e.clock.advance(time.Second)
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
	if c := e.calls.Calls(); c.BatchGetItem != 2 || c.UpdateItem != 2 || c.BatchWriteItem != 1 || c.Total() != 5 {
		t.Fatalf("adding 20 entries made %+v; want 2 reads, 1 reserve, 1 write, 1 confirm", c)
	}
	e.calls.Reset()
	if err := e.st.AddEntries(ctx, "app", store.Blocklist, "alice", targets, 3000, 1000, nil); err != nil {
		t.Fatal(err)
	}
	if c := e.calls.Calls(); c.Total() != 2 || c.BatchGetItem != 2 {
		t.Fatalf("adding listed entries again made %+v; want the reads only", c)
	}
	e.calls.Reset()
	if err := e.st.RemoveEntries(ctx, "app", store.Whitelist, "alice", targets, nil); err != nil {
		t.Fatal(err)
	}
	if c := e.calls.Calls(); c.Total() != 1 {
		t.Fatalf("removing from a list never used made %+v; want the first read only", c)
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
	e.clock.advance(time.Second)
	if err := e.st.AddFriendship(ctx, "app", "a", "b", 1000, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddFriendship(ctx, "app", "c", "a", 2000, nil); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "a", store.Friends, []string{"b", "c"}, false)
	e.expect(t, "b", store.Friends, []string{"a"}, false)
	e.expect(t, "c", store.Friends, []string{"a"}, false)

	// Only one side's reserve went through: the request, having written nothing, undoes it,
	// and the retry does both.
	e.crash.failUpdate.Store(1)
	err := e.st.RemoveFriendships(ctx, "app", "a", []string{"b"}, nil)
	if !errors.Is(err, errCrash) {
		t.Fatal(err)
	}
	e.expect(t, "a", store.Friends, []string{"b", "c"}, false)
	e.expect(t, "b", store.Friends, []string{"a"}, false)
	if err := e.st.RemoveFriendships(ctx, "app", "a", []string{"b"}, nil); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "a", store.Friends, []string{"c"}, false)
	e.expect(t, "b", store.Friends, nil, false)

	if done, err := e.st.ClearFriends(ctx, "app", "a", math.MaxInt64, nil, nil); err != nil || !done {
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

// rawMarks is every mark on a list's counter.
func (e *relEnv) rawMarks(t *testing.T, owner string, kind store.Kind) map[string]string {
	t.Helper()
	res, err := e.db.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(e.table),
		Key:            counterKey(owner, kind),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, v := range res.Item {
		if target, ok := strings.CutPrefix(name, "m#"); ok {
			var mark string
			if err := attributevalue.Unmarshal(v, &mark); err != nil {
				t.Fatal(err)
			}
			out[target] = mark
		}
	}
	return out
}

// The race that used to leave counts off: a removal meeting an add between its reserve and its
// write. The removal waits for the add to finish instead of taking its mark for a crash's.
func TestRemovalWaitsForAnAddInFlight(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice")
	reached, resume := make(chan struct{}), make(chan struct{})
	hold := func() { close(reached); <-resume }
	e.crash.beforeWrite.Store(&hold)
	added := make(chan error, 1)
	go func() { added <- e.st.AddEntries(ctx, "app", store.Blocklist, "alice", []string{"t"}, 10, 1000, nil) }()
	<-reached
	removed := make(chan error, 1)
	go func() { removed <- e.other().RemoveEntries(ctx, "app", store.Blocklist, "alice", []string{"t"}, nil) }()
	select {
	case err := <-removed:
		t.Fatalf("the removal finished (%v) while the add was between its reserve and its write", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(resume)
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, nil, false)
}

// Another request's whole change (reserve, write, confirm) of a target, between a request's
// read of the counter and its read of the entry, moved the counter's change number: the
// request's reserve fails and it plans again from fresh reads, so the count stays exact. When
// it finds the entry as wanted it writes nothing (a friend's remark would be lost); read after
// the change, the counter is current and so is the entry.
func TestReadAcrossAWholeChangeIsNotTakenForUnchanged(t *testing.T) {
	ctx := context.Background()
	add := func(st *store.Store) error {
		return st.AddEntries(ctx, "app", store.Blocklist, "alice", []string{"t"}, 10, 1000, nil)
	}
	remove := func(st *store.Store) error {
		return st.RemoveEntries(ctx, "app", store.Blocklist, "alice", []string{"t"}, nil)
	}
	for _, c := range []struct {
		name             string
		before, mine     func(*store.Store) error
		between          []func(*store.Store) error
		counterAfterward bool // the counter read came after the change too
		want             []string
		writes           int64 // entry writes of the request
	}{
		{"add, then the same add", nil, add, []func(*store.Store) error{add}, false, []string{"t"}, 0},
		{"add, then an add and a removal", nil, add, []func(*store.Store) error{add, remove}, false, []string{"t"}, 1},
		{"add, counter read after the same add", nil, add, []func(*store.Store) error{add}, true, []string{"t"}, 0},
		{"removal, counter read after the same removal", add, remove, []func(*store.Store) error{remove}, true, nil, 0},
		{"removal, counter read after a removal and an add", add, remove, []func(*store.Store) error{remove, add}, true, nil, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newRelEnv(t, "alice")
			if c.before != nil {
				if err := c.before(e.st); err != nil {
					t.Fatal(err)
				}
			}
			other := e.other()
			meanwhile := func(out *dynamodb.BatchGetItemOutput) {
				for _, do := range c.between {
					if err := do(other); err != nil {
						t.Error(err)
					}
				}
				if !c.counterAfterward {
					return
				}
				res, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{
					TableName: aws.String(e.table), ConsistentRead: aws.Bool(true),
					Key: counterKey("alice", store.Blocklist),
				})
				if err != nil {
					t.Error(err)
					return
				}
				items := out.Responses[e.table]
				for i, it := range items {
					if sk, _ := it["SK"].(*types.AttributeValueMemberS); sk != nil && sk.Value == string(store.Blocklist) {
						items[i] = res.Item
						return
					}
				}
				out.Responses[e.table] = append(items, res.Item)
			}
			e.crash.afterRead.Store(&meanwhile)
			e.calls.Reset()
			if err := c.mine(e.st); err != nil {
				t.Fatal(err)
			}
			e.expect(t, "alice", store.Blocklist, c.want, false)
			if n := e.calls.Calls().BatchWriteItem; n != c.writes {
				t.Errorf("the request wrote entries %d times, want %d", n, c.writes)
			}
		})
	}
}

// A request that dies between its reserve and its write hands nothing over: its marks hold off
// other requests, which give up changing nothing, until the marks outlive any request (15 s);
// then the next request on those targets repairs the count by the entries.
func TestMarksOfADeadRequestHoldUntilTheyOutliveIt(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice")
	if err := e.st.AddEntries(ctx, "app", store.Blocklist, "alice", []string{"x"}, 10, 1000, nil); err != nil {
		t.Fatal(err)
	}
	e.crash.dies.Store(true)
	e.crash.failWrite.Store(1)
	if err := e.st.AddEntries(ctx, "app", store.Blocklist, "alice", []string{"t", "u"}, 10, 1000, nil); !errors.Is(err, errCrash) {
		t.Fatalf("add = %v, want the crash", err)
	}
	other := e.other()
	store.SetPatience(other, 50*time.Millisecond)
	e.clock.advance(14 * time.Second)
	if err := other.RemoveEntries(ctx, "app", store.Blocklist, "alice", []string{"t", "x"}, nil); err == nil {
		t.Fatal("a removal went through the marks of a request that may still be writing")
	}
	if count, entries, marks := e.state(t, "alice", store.Blocklist); count != 3 || fmt.Sprint(entries) != "[x]" || len(marks) != 2 {
		t.Fatalf("after the removal that gave up: count %d, entries %v, marks %v", count, entries, marks)
	}
	e.clock.advance(time.Second)
	if err := other.RemoveEntries(ctx, "app", store.Blocklist, "alice", []string{"t", "x"}, nil); err != nil {
		t.Fatal(err)
	}
	// "u" is still counted by the dead request's mark, until a request on it settles it.
	if count, entries, _ := e.state(t, "alice", store.Blocklist); count != 1 || len(entries) != 0 {
		t.Fatalf("after the removal: count %d, entries %v", count, entries)
	}
	if err := other.AddEntries(ctx, "app", store.Blocklist, "alice", []string{"u"}, 10, 1000, nil); err != nil {
		t.Fatal(err)
	}
	e.expect(t, "alice", store.Blocklist, []string{"u"}, false)
}

// itemSize is an item's size as DynamoDB bills it: each attribute's name and value (strings
// and numbers taken at their text length, a safe upper bound for numbers).
func itemSize(it map[string]types.AttributeValue) int {
	n := 0
	for name, v := range it {
		n += len(name)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(v.Value)
		case *types.AttributeValueMemberN:
			n += len(v.Value)
		default:
			n += 100
		}
	}
	return n
}

// A list counter keeps only the marks of requests in flight: a thousand friendships with the
// longest userIds leave the owner's counter under 1 KB (it was about 53 KB when marks of
// finished changes stayed for 30 s), so each of its writes stays about one write unit.
func TestCounterDoesNotGrowWithChanges(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t)
	owner := fmt.Sprintf("o%063d", 0)
	const changes = 1000
	for i := range changes {
		if err := e.st.AddFriendship(ctx, "app", owner, fmt.Sprintf("f%063d", i), 1000, nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := e.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(e.table), Key: counterKey(owner, store.Friends), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := itemSize(res.Item); n >= 1024 {
		t.Fatalf("counter of %d friends is %d bytes: %v", changes, n, res.Item)
	}
	if count, entries, marks := e.state(t, owner, store.Friends); count != changes || len(entries) != changes || len(marks) > 0 {
		t.Fatalf("count %d, %d entries, marks %v", count, len(entries), marks)
	}
	// The counter heads both friend indexes with its keys and total: the first page of either
	// order reads the count in its one Query.
	for _, asc := range []bool{false, true} {
		e.calls.Reset()
		page, err := e.st.ListEntries(ctx, "app", owner, store.Friends, "", 10, asc)
		if err != nil || !page.HasTotal || page.Total != changes || len(page.Entries) != 10 {
			t.Fatalf("first page (ascending %v): %+v, %v", asc, page, err)
		}
		if c := e.calls.Calls(); c.Total() != 1 || c.Query != 1 {
			t.Fatalf("first page (ascending %v) made %+v; budget one Query", asc, c)
		}
	}
}

// counterWrites records the updates of friend counters.
type counterWrites struct {
	store.DB
	mu  sync.Mutex
	ins []*dynamodb.UpdateItemInput
}

func (c *counterWrites) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if sk, ok := in.Key["SK"].(*types.AttributeValueMemberS); ok && sk.Value == string(store.Friends) {
		c.mu.Lock()
		c.ins = append(c.ins, in)
		c.mu.Unlock()
	}
	return c.DB.UpdateItem(ctx, in, optFns...)
}

// names are the attributes an update writes: those its expression names, written out or through
// an alias.
func names(in *dynamodb.UpdateItemInput) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(aws.ToString(in.UpdateExpression), func(r rune) bool {
		return r == ' ' || r == ',' || r == '=' || r == '(' || r == ')' || r == '+'
	}) {
		if a, ok := in.ExpressionAttributeNames[w]; ok {
			w = a
		}
		out[w] = true
	}
	return out
}

// A friend counter's index copies hold its keys and total only, and only a write that moves
// the total, or the first that gives the counter its keys, names any of them: writes of marks
// and the change number alone cost the indexes nothing.
func TestFriendCounterReachesItsIndexesOnlyWhenTheTotalMoves(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice", "bob", "carol")
	rec := &counterWrites{DB: e.crash.DB}
	e.crash.DB = rec
	steps := []func() error{
		func() error { return e.st.AddFriendship(ctx, "app", "alice", "bob", 1000, nil) },   // alice +1, bob +1
		func() error { return e.st.AddFriendship(ctx, "app", "alice", "carol", 1000, nil) }, // alice +1, carol +1
		func() error { return e.st.AddFriendship(ctx, "app", "alice", "bob", 1000, nil) },   // nothing moves
		func() error { return e.st.RemoveFriendships(ctx, "app", "alice", []string{"bob"}, nil) },
	}
	for _, step := range steps {
		e.clock.advance(time.Millisecond)
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	projected := map[string]bool{}
	for _, ix := range store.Indexes {
		for _, a := range append([]string{ix.PK, ix.SK}, ix.Projected...) {
			projected[a] = true
		}
		if slices.Contains(ix.Projected, "ver") || slices.ContainsFunc(ix.Projected, func(a string) bool { return strings.HasPrefix(a, "m#") }) {
			t.Errorf("index %s projects what every counter write changes: %v", ix.Name, ix.Projected)
		}
	}
	keyed, indexWrites := map[string]int{}, 0
	for _, in := range rec.ins {
		owner := in.Key["PK"].(*types.AttributeValueMemberS).Value
		written := names(in)
		if written["GSI2PK"] {
			keyed[owner]++
		}
		for a := range written {
			if projected[a] {
				indexWrites++
				break
			}
		}
	}
	// Six moves of a total (alice +1 +1 -1, bob +1 -1, carol +1), and as many writes of marks.
	if indexWrites != 6 || len(rec.ins) != 12 {
		t.Errorf("%d of %d counter writes reach an index; want 6 of 12", indexWrites, len(rec.ins))
	}
	if len(keyed) != 3 || keyed["A#app#U#alice"] != 1 || keyed["A#app#U#bob"] != 1 || keyed["A#app#U#carol"] != 1 {
		t.Errorf("counters given index keys: %v; want each once", keyed)
	}
	for _, asc := range []bool{false, true} {
		e.calls.Reset()
		page, err := e.st.ListEntries(ctx, "app", "alice", store.Friends, "", 10, asc)
		if err != nil || !page.HasTotal || page.Total != 1 || len(page.Entries) != 1 || page.Entries[0].Target != "carol" || page.Next != "" {
			t.Fatalf("alice's first page (ascending %v): %+v, %v", asc, page, err)
		}
		if c := e.calls.Calls(); c.Total() != 1 {
			t.Fatalf("first page made %+v; budget one Query", c)
		}
	}
}

// The longest reserve there is, 100 targets with the longest userIds on a counter that an
// earlier version left full of marks of finished changes, stays within DynamoDB's 4 KB per
// expression (the wrapper refuses more), and those marks go as far as the expression has room.
func TestOldMarksGoAndExpressionsFit(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice")
	batch := func(prefix string) []string {
		out := make([]string, 100)
		for i := range out {
			out[i] = fmt.Sprintf("%s%063d", prefix, i)
		}
		return out
	}
	// 600 settled marks ("l…": listed, "u…": not listed) as the earlier protocol left them.
	item := map[string]any{"PK": "A#app#U#alice", "SK": string(store.Blocklist), "total": 0}
	for i, target := range slices.Concat(batch("a"), batch("b"), batch("e"), batch("f"), batch("g"), batch("h")) {
		item["m#"+target] = fmt.Sprintf("%c%d.%d", "lu"[i%2], e.clock.now().UnixMilli(), i)
	}
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: av}); err != nil {
		t.Fatal(err)
	}
	add := func(targets []string) {
		t.Helper()
		if err := e.st.AddEntries(ctx, "app", store.Blocklist, "alice", targets, 3000, 1000, nil); err != nil {
			t.Fatal(err)
		}
	}
	add(batch("c"))
	if left := len(e.rawMarks(t, "alice", store.Blocklist)); left >= 600 || left == 0 {
		t.Fatalf("%d old marks left after a change of 100 targets; want some dropped, as many as fit", left)
	}
	for range 3 {
		add([]string{"d"})
		if err := e.st.RemoveEntries(ctx, "app", store.Blocklist, "alice", []string{"d"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.expect(t, "alice", store.Blocklist, batch("c"), false)
}

// Requests from several instances racing adds and removals of the same targets on one list,
// with a limit the adds press against: the count ends equal to the entries, with no mark left in
// flight, and the list never holds more than the limit.
func TestRacingChangesKeepTheCountExact(t *testing.T) {
	ctx := context.Background()
	e := newRelEnv(t, "alice")
	const limit = 3
	targets := []string{"t0", "t1", "t2", "t3", "t4"}
	var wg sync.WaitGroup
	var over atomic.Int32
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := e.other()
			for r := range 25 {
				pick := []string{targets[(w+r)%len(targets)], targets[(w*r+1)%len(targets)]}
				var err error
				if (w+r)%3 == 0 {
					err = st.RemoveEntries(ctx, "app", store.Blocklist, "alice", pick, nil)
				} else {
					err = st.AddEntries(ctx, "app", store.Blocklist, "alice", pick, limit, 1000, nil)
				}
				if err != nil && !errors.Is(err, store.ErrListFull) {
					t.Error(err)
				}
				if n, err := st.ListCount(ctx, "app", "alice", store.Blocklist); err == nil && n > limit {
					over.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if over.Load() > 0 {
		t.Errorf("the count went past the limit %d times", over.Load())
	}
	count, entries, marks := e.state(t, "alice", store.Blocklist)
	if count != int64(len(entries)) || len(marks) > 0 || len(entries) > limit {
		t.Fatalf("count %d, entries %v, marks in flight %v", count, entries, marks)
	}
}
