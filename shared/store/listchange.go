package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/parallel"
)

// Changing a list takes five round trips, each safe to repeat, rather than a transaction:
// dynalite (the local stand-in) has none, and in AWS they cost double. The five:
//
//  1. read: one BatchGetItem of the profiles to check and each touched list's counter item;
//  2. read: one BatchGetItem of each touched entry, once the first has answered;
//  3. reserve: one UpdateItem per counter, conditioned on its change number being as read, that
//     moves the number and the total and marks the targets about to be written ("adding") or
//     deleted ("removing");
//  4. write: BatchWriteItem of the entry puts and deletes;
//  5. confirm: one UpdateItem per counter that drops the marks.
//
// A mark is an attribute of the counter item, one per target in flight, whose value says what
// the total assumes about the target's entry (adding: listed; removing: not listed), and which
// request set it and when. So the total always equals the entries, plus the adding targets whose
// entry is missing, minus the removing targets whose entry exists. A target without a mark is
// counted as its entry says. The item holds the total, the change number and the marks in
// flight, nothing of changes that are over, so its size does not grow with a list's traffic.
//
// Racing requests: an entry changes only under a mark, and every mark is set by a reserve, which
// moves the change number. The entries are read after the counter, so an entry changed since
// the counter was read means a moved number, and the reserve planned from the stale read fails:
// the request reads and plans again. (Read in one batch, which is no snapshot, an entry could be
// read before another request's whole change and the counter after it.) A mark in flight makes
// its request the only writer of that entry until it is dropped; a request that finds another's
// mark in flight on its targets waits and reads again rather than judge an entry about to
// change, and lets go of the marks it holds while it waits, so two requests never wait for each
// other. Dropping or handing over a mark leaves the number alone: no entry changes with it, so
// plans made meanwhile hold (the limit is checked again by the reserve's own condition).
//
// Crashes and failures: no request writes an entry later than requestLife after it began (its
// deadline), so a mark in flight older than markLife belongs to a request that is over, and the
// next request on that target takes it over, reading from the entry whether the count already
// moved. A request that fails but lives hands its marks over at once: undone exactly when it wrote
// nothing, released to the next request when its write failed (after releaseGrace, so that a
// write the SDK gave up on can no longer land).
const (
	// requestLife bounds a list change from its start to its last write: the API functions'
	// timeout.
	requestLife = 10 * time.Second
	// markLife is requestLife plus a margin for clocks of different machines and writes still
	// on the wire.
	markLife = 15 * time.Second
	// releaseGrace is how long a released mark still holds off others.
	releaseGrace = time.Second
	// patience is how long a request waits for others' marks before it gives up, changing
	// nothing.
	patience = 3 * time.Second

	markPrefix   = "m#" // a mark's attribute is markPrefix + target ('#' is never in a userId)
	markAdding   = 'a'
	markRemoving = 'r'

	// maxExpression is DynamoDB's limit on each expression of a call (dynalite sets none).
	maxExpression = 4096
)

type change struct {
	owner   string
	kind    Kind
	target  string
	present bool // wanted state of the entry
}

type mutation struct {
	changes []change
	users   []string // profiles to read and hand to check (and to name friends)
	bans    bool     // read the users' bans too (Member.BanUntil), for check
	check   Check
	limit   int64 // most entries per list; 0 for none
	now     int64
}

type listRef struct {
	owner string
	kind  Kind
}

type entryRef struct {
	owner  string
	kind   Kind
	target string
}

// mark is one target's mark as read: "<state><ms the request began>.<request id>".
type mark struct {
	raw   string // "" when the target has none
	state byte
	at    int64
	owner string
}

func parseMark(raw string) mark {
	m := mark{raw: raw}
	if len(raw) < 2 {
		return m
	}
	ms, owner, _ := strings.Cut(raw[1:], ".")
	m.state, m.owner = raw[0], owner
	m.at, _ = strconv.ParseInt(ms, 10, 64)
	return m
}

func (m mark) inFlight() bool { return m.state == markAdding || m.state == markRemoving }

// counted is what the total assumes about the entry, listed or not as read.
func (m mark) counted(listed bool) bool {
	switch m.state {
	case markAdding:
		return true
	case markRemoving:
		return false
	}
	return listed
}

type counter struct {
	exists  bool
	total   int64
	ver     int64 // change number; 0 on an item that never had one
	marks   map[string]mark
	indexed bool // carries its index keys (friends)
}

// counterItem is a list's counter item; its marks are attributes named by their targets, and a
// friend counter heads both friend indexes (see reserve). It is written only by updates.
type counterItem struct {
	Total   int64  `dynamodbav:"total"`
	Ver     int64  `dynamodbav:"ver"`
	IndexPK string `dynamodbav:"GSI2PK"`
}

func counterFrom(it item) (*counter, error) {
	ci, err := unmarshal[counterItem](it)
	if err != nil {
		return nil, err
	}
	c := &counter{exists: true, total: ci.Total, ver: ci.Ver, marks: map[string]mark{}, indexed: ci.IndexPK != ""}
	// Marks are named by their targets, so they are read off the item's attributes one by one.
	for name, v := range it {
		if t, ok := strings.CutPrefix(name, markPrefix); ok {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				c.marks[t] = parseMark(sv.Value)
			}
		}
	}
	return c, nil
}

// request is one list change as its marks name it.
type request struct {
	id string
	at int64 // ms it began, by the store's clock
}

func newRequest(now time.Time) request {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return request{id: hex.EncodeToString(b[:]), at: now.UnixMilli()}
}

func (r request) mark(state byte) string { return r.markAt(state, r.at) }

func (r request) markAt(state byte, at int64) string {
	return string(state) + strconv.FormatInt(at, 10) + "." + r.id
}

// holds tells whether the mark is one this request set and still owns.
func (r request) holds(m mark) bool { return m.inFlight() && m.raw == r.mark(m.state) }

// swap replaces one mark: from the value read (old, "" for none) to new ("" drops it).
type swap struct{ target, old, new string }

// plan is what one attempt does to one counter.
type plan struct {
	delta  int64
	swaps  []swap   // reserve
	writes []change // entries to put or delete; their marks are this request's after the reserve
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// stage says how far an attempt went: what the request may still hold when it fails.
type stage int

const (
	stageRead    stage = iota // nothing written
	stageReserve              // reserves sent: the request may hold marks
	stageWrite                // entries written or tried: the marks are confirmed or released
)

func (st *Store) apply(ctx context.Context, app string, m mutation) error {
	seen := map[entryRef]bool{}
	var changes []change
	for _, c := range m.changes {
		if e := (entryRef{c.owner, c.kind, c.target}); !seen[e] {
			seen[e] = true
			changes = append(changes, c)
		}
	}
	m.changes = changes
	req := newRequest(st.now())
	ctx, cancel := context.WithTimeout(ctx, requestLife)
	defer cancel()
	giveUp := time.Now().Add(st.patience)
	mayHold := false
	for attempt := 0; ; attempt++ {
		reached, err := st.applyOnce(ctx, app, m, req, false)
		if err == nil || reached == stageWrite {
			return err
		}
		mayHold = mayHold || reached == stageReserve
		raced := errors.Is(err, errRaced)
		if raced && time.Now().Before(giveUp) && sleep(ctx, attempt) == nil {
			continue
		}
		if mayHold {
			// Read once more and undo what this request still holds, even past its deadline:
			// it wrote nothing, so undoing is safe at any time.
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
			_, _ = st.applyOnce(hctx, app, m, req, true)
			cancel()
		}
		if raced {
			return fmt.Errorf("list kept busy by concurrent requests (%d attempts): %w", attempt+1, err)
		}
		return err
	}
}

// sleep waits before the next attempt: growing, jittered, at most 100 ms.
func sleep(ctx context.Context, attempt int) error {
	d := min(2*time.Millisecond<<min(attempt, 6), 100*time.Millisecond)
	d = d/2 + mrand.N(d/2+1)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// applyOnce makes one attempt; undoOnly reads and undoes the marks the request still holds.
func (st *Store) applyOnce(ctx context.Context, app string, m mutation, req request, undoOnly bool) (stage, error) {
	// 1. read the profiles and counters
	var keys []itemKey
	for _, u := range m.users {
		keys = append(keys, userKey(app, u))
		if m.bans {
			keys = append(keys, banKey(app, u))
		}
	}
	var refs []listRef
	for _, c := range m.changes {
		if r := (listRef{c.owner, c.kind}); !slices.Contains(refs, r) {
			refs = append(refs, r)
			keys = append(keys, key(userPK(app, r.owner), counterSK(r.kind)))
		}
	}
	items, err := st.batchGet(ctx, keys, Strong)
	if err != nil {
		return stageRead, err
	}
	now := st.now().UnixMilli()
	users := map[string]*Member{}
	bans := map[string]int64{}
	counters := map[listRef]*counter{}
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return stageRead, err
		}
		owner := ownerOf(k.PK)
		switch k.SK {
		case skProfile:
			u, err := memberFrom(it)
			if err != nil {
				return stageRead, err
			}
			users[u.ID] = u
		case skBan:
			if bans[owner], err = banEnd(it); err != nil {
				return stageRead, err
			}
		default:
			if counters[listRef{owner, Kind(k.SK)}], err = counterFrom(it); err != nil {
				return stageRead, err
			}
		}
	}
	for id, until := range bans {
		if u := users[id]; u != nil {
			u.BanUntil = until
		}
	}
	for _, r := range refs {
		if counters[r] == nil {
			counters[r] = &counter{marks: map[string]mark{}}
		}
	}

	// What this request holds from an earlier attempt, and whether another request's
	// change of the same targets is under way.
	held := map[listRef][]swap{}
	heldDelta := map[listRef]int64{}
	busy := false
	for _, c := range m.changes {
		r := listRef{c.owner, c.kind}
		mk := counters[r].marks[c.target]
		switch {
		case req.holds(mk):
			// This request set the mark only where the entry stood the other way, and has not
			// written it since.
			held[r] = append(held[r], swap{c.target, mk.raw, ""})
			heldDelta[r] += b2i(mk.state == markRemoving) - b2i(mk.state == markAdding)
		case mk.inFlight() && now-mk.at < markLife.Milliseconds():
			busy = true
		}
	}
	// undo drops the held marks and takes back what they counted: this request wrote none of
	// their entries.
	undo := func() {
		refs := slices.Collect(maps.Keys(held))
		_ = each(ctx, len(refs), func(ctx context.Context, i int) error {
			return st.settle(ctx, app, refs[i], heldDelta[refs[i]], held[refs[i]])
		})
	}
	if undoOnly || busy {
		undo()
		return stageRead, errRaced
	}
	if m.check != nil {
		if err := m.check(users); err != nil {
			undo()
			return stageRead, err
		}
	}

	// 2. read the entries; a removal from a list that has no counter (never used, or erased
	// with its entries) has nothing to do.
	keys = keys[:0]
	for _, c := range m.changes {
		if c.present || counters[listRef{c.owner, c.kind}].exists {
			keys = append(keys, key(userPK(app, c.owner), entrySK(c.kind, c.target)))
		}
	}
	items, err = st.batchGet(ctx, keys, Strong)
	if err != nil {
		undo()
		return stageRead, err
	}
	listed := map[entryRef]bool{}
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			undo()
			return stageRead, err
		}
		kind, target, _ := strings.Cut(k.SK, "#")
		listed[entryRef{ownerOf(k.PK), Kind(kind), target}] = true
	}

	// plan
	plans := map[listRef]*plan{}
	for _, c := range m.changes {
		r := listRef{c.owner, c.kind}
		p := plans[r]
		if p == nil {
			p = &plan{}
			plans[r] = p
		}
		cs := counters[r]
		mk := cs.marks[c.target]
		has := listed[entryRef{c.owner, c.kind, c.target}]
		switch {
		case !cs.exists && !c.present:
			// Nothing to remove, and no counter to create (the entry was not even read).
		case has == c.present && mk.inFlight():
			// The entry is as wanted: the mark (ours, or a leftover of a request that is
			// over) goes, and the total follows the entry.
			p.swaps = append(p.swaps, swap{c.target, mk.raw, ""})
			p.delta += b2i(has) - b2i(mk.counted(has))
		case has == c.present:
		case req.holds(mk):
			p.writes = append(p.writes, c) // counted by our earlier attempt's reserve
		default:
			state := byte(markRemoving)
			if c.present {
				state = markAdding
			}
			p.swaps = append(p.swaps, swap{c.target, mk.raw, req.mark(state)})
			p.delta += b2i(c.present) - b2i(mk.counted(has))
			p.writes = append(p.writes, c)
		}
	}
	for r, p := range plans {
		cs := counters[r]
		if m.limit > 0 && p.delta > 0 && cs.total+p.delta > m.limit {
			undo()
			return stageRead, fmt.Errorf("%w: %s of %s holds at most %d", ErrListFull, r.kind, r.owner, m.limit)
		}
	}

	// 3. reserve
	var reserve []listRef
	for r, p := range plans {
		if p.delta != 0 || len(p.swaps) > 0 {
			reserve = append(reserve, r)
		}
	}
	if len(reserve) > 0 {
		err = each(ctx, len(reserve), func(ctx context.Context, i int) error {
			r := reserve[i]
			return st.reserve(ctx, app, r, plans[r], counters[r], m.limit)
		})
		if err != nil {
			return stageReserve, err
		}
	}

	// 4. write
	var writes []types.WriteRequest
	confirm := map[listRef][]swap{}
	for r, p := range plans {
		for _, c := range p.writes {
			if c.present {
				put, err := putRequest(newEntry(app, c, m.now, users))
				if err != nil {
					return stageReserve, err
				}
				writes = append(writes, put)
			} else {
				writes = append(writes, deleteRequest(key(userPK(app, c.owner), entrySK(c.kind, c.target))))
			}
			state := byte(markRemoving)
			if c.present {
				state = markAdding
			}
			confirm[r] = append(confirm[r], swap{c.target, req.mark(state), ""})
		}
	}
	if len(writes) == 0 {
		return stageWrite, nil
	}
	handOver := func(done func(swap) string) {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		refs := slices.Collect(maps.Keys(confirm))
		_ = each(hctx, len(refs), func(ctx context.Context, i int) error {
			var sw []swap
			for _, s := range confirm[refs[i]] {
				sw = append(sw, swap{s.target, s.old, done(s)})
			}
			return st.settle(ctx, app, refs[i], 0, sw)
		})
	}
	if err := st.batchWrite(ctx, writes); err != nil {
		// Which entries landed is unknown: the next request on each target reads them, once
		// a write still on the wire can no longer land.
		released := st.now().Add(releaseGrace - markLife).UnixMilli()
		handOver(func(s swap) string { return req.markAt(s.old[0], released) })
		return stageWrite, err
	}
	// 5. confirm
	refs = slices.Collect(maps.Keys(confirm))
	err = each(ctx, len(refs), func(ctx context.Context, i int) error {
		return st.settle(ctx, app, refs[i], 0, confirm[refs[i]])
	})
	if err != nil {
		// The entries are written: the marks may go to the next request at once.
		stale := st.now().Add(-markLife).UnixMilli()
		handOver(func(s swap) string { return req.markAt(s.old[0], stale) })
	}
	return stageWrite, err
}

// ownerOf is the user of a user partition key.
func ownerOf(pk string) string { return pk[strings.LastIndex(pk, "#U#")+3:] }

// entryItem is one entry of a list, in the list's index by time added (and, for friends, in
// the ascending one too).
type entryItem struct {
	itemKey
	At      int64  `dynamodbav:"at"`
	ListPK  string `dynamodbav:"GSI2PK"`
	ListSK  string `dynamodbav:"GSI2SK"`
	AscPK   string `dynamodbav:"GSI3PK,omitempty"` // friends: the oldest first index
	AscSK   string `dynamodbav:"GSI3SK,omitempty"`
	Name    string `dynamodbav:"name,omitempty"` // friends: the friend's name when made
	Remark  string `dynamodbav:"remarkName,omitempty"`
	Profile string `dynamodbav:"friendExtProfile,omitempty"`
}

func newEntry(app string, c change, now int64, users map[string]*Member) entryItem {
	e := entryItem{
		itemKey: key(userPK(app, c.owner), entrySK(c.kind, c.target)),
		At:      now,
		ListPK:  listPK(app, c.owner, c.kind),
		ListSK:  timeKey(now, c.target),
	}
	if c.kind == Friends {
		e.AscPK, e.AscSK = e.ListPK, e.ListSK
		if u := users[c.target]; u != nil {
			e.Name = u.Name
		}
	}
	return e
}

// counterUpdate builds one UpdateItem on a counter, keeping each expression within DynamoDB's
// limit.
type counterUpdate struct {
	names       map[string]string
	values      map[string]any
	sets, drops []string
	conds       []string
	exprLen     int
	strs        map[string]string
}

func newCounterUpdate() *counterUpdate {
	return &counterUpdate{names: map[string]string{}, values: map[string]any{}, strs: map[string]string{}}
}

func (u *counterUpdate) str(v string) string {
	if p, ok := u.strs[v]; ok {
		return p
	}
	p := ":" + strconv.Itoa(len(u.strs))
	u.strs[v], u.values[p] = p, v
	return p
}

func (u *counterUpdate) set(clause string) {
	u.sets = append(u.sets, clause)
	u.exprLen += len(clause) + 2
}

// mark sets target's mark to v ("" drops it) and returns the name the expressions use for it.
func (u *counterUpdate) mark(target, v string) string {
	ref := "#" + strconv.Itoa(len(u.names))
	u.names[ref] = markPrefix + target
	if v == "" {
		u.drops = append(u.drops, ref)
		u.exprLen += len(ref) + 2
	} else {
		u.set(ref + " = " + u.str(v))
	}
	return ref
}

func (u *counterUpdate) input(table string, k itemKey) (*dynamodb.UpdateItemInput, error) {
	expr := ""
	if len(u.sets) > 0 {
		expr = "SET " + strings.Join(u.sets, ", ")
	}
	if len(u.drops) > 0 {
		expr += " REMOVE " + strings.Join(u.drops, ", ")
	}
	cond := strings.Join(u.conds, " AND ")
	if len(expr) > maxExpression || len(cond) > maxExpression {
		return nil, fmt.Errorf("counter update of %d marks exceeds DynamoDB's expression limit", len(u.names))
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       k.av(),
		UpdateExpression:          aws.String(strings.TrimSpace(expr)),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: values(u.values),
	}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
	}
	return in, nil
}

// reserve moves a counter's change number and total and sets its marks, under the conditions
// that the number is still as read and that the list stays within limit.
func (st *Store) reserve(ctx context.Context, app string, r listRef, p *plan, cs *counter, limit int64) error {
	u := newCounterUpdate()
	u.names["#v"] = attrVer
	u.values[":next"] = cs.ver + 1
	u.set("#v = :next")
	// The friend indexes project the total: it is written only when it moves (or starts), so a
	// reserve of marks alone costs them nothing.
	if p.delta != 0 || !cs.exists {
		u.names["#t"] = attrTotal
		u.values[":d"], u.values[":zero"] = p.delta, 0
		u.set("#t = if_not_exists(#t, :zero) + :d")
	}
	if cs.ver == 0 {
		u.conds = append(u.conds, "attribute_not_exists(#v)")
	} else {
		u.conds = append(u.conds, "#v = :ver")
		u.values[":ver"] = cs.ver
	}
	switch {
	case limit > 0 && p.delta > 0:
		u.conds = append(u.conds, "(attribute_not_exists(#t) OR #t <= :room)")
		u.values[":room"] = limit - p.delta
	case p.delta < 0:
		// Only an existing counter is lowered: one erased meanwhile is not brought back.
		u.conds = append(u.conds, "attribute_exists(#t)")
	}
	touched := map[string]bool{}
	for _, sw := range p.swaps {
		u.mark(sw.target, sw.new)
		touched[sw.target] = true
	}
	// A friend counter takes its index keys once, on the reserve that creates it (or the first
	// of a counter that lacks them); the ones after leave them be, so that only the total moves
	// its index copies. A counter that never had a change number may have been erased since it
	// was read, and is created again by this update: it takes them too.
	if r.kind == Friends && (!cs.indexed || cs.ver == 0) {
		u.set("GSI2PK = :ipk, GSI2SK = :tail, GSI3PK = :ipk, GSI3SK = :head")
		u.values[":ipk"], u.values[":tail"], u.values[":head"] = listPK(app, r.owner, r.kind), counterTail, counterHead
	}
	// Counters written by earlier versions kept marks of changes that were over; they go as far
	// as the expression has room.
	for t, mk := range cs.marks {
		if !mk.inFlight() && !touched[t] && u.exprLen < maxExpression-300 {
			u.mark(t, "")
		}
	}
	in, err := u.input(st.table, key(userPK(app, r.owner), counterSK(r.kind)))
	if err != nil {
		return err
	}
	_, err = st.db.UpdateItem(ctx, in)
	if isConditionFailed(err) {
		return errRaced
	}
	if err != nil {
		return fmt.Errorf("reserve %s of %s: %w", r.kind, r.owner, err)
	}
	return nil
}

// settle swaps marks this request holds (confirm, undo, release) and moves the total by delta.
// Its condition fails only where the marks are no longer this request's: its own earlier
// attempt (an answer lost) already swapped them, a request took them over, or the counter was
// erased; either way nothing is left to do.
func (st *Store) settle(ctx context.Context, app string, r listRef, delta int64, swaps []swap) error {
	if len(swaps) == 0 {
		return nil
	}
	u := newCounterUpdate()
	if delta != 0 {
		u.names["#t"] = attrTotal
		u.values[":d"] = delta
		u.set("#t = #t + :d")
	}
	for _, sw := range swaps {
		u.conds = append(u.conds, u.mark(sw.target, sw.new)+" = "+u.str(sw.old))
	}
	in, err := u.input(st.table, key(userPK(app, r.owner), counterSK(r.kind)))
	if err != nil {
		return err
	}
	_, err = st.db.UpdateItem(ctx, in)
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("settle %s of %s: %w", r.kind, r.owner, err)
	}
	return nil
}

// parallelism bounds the calls one request runs at once: single-item writes (DynamoDB has no
// batch update) and the chunks of a batch call.
const parallelism = 10

// each runs fn for 0..n-1, at most parallelism at a time, and returns the first error that is
// not a lost race (a race only asks the caller to read and plan again). The others still finish:
// every fn here is safe to repeat.
func each(ctx context.Context, n int, fn func(context.Context, int) error) error {
	var first error
	for _, err := range parallel.Do(ctx, n, parallelism, fn) {
		if err != nil && (first == nil || errors.Is(first, errRaced)) {
			first = err
		}
	}
	return first
}
