package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attributes of relation entries, list counters and the settings kept on profiles.
const (
	attrAt         = "at" // ms the entry was made
	attrRemark     = "remarkName"
	attrExt        = "friendExtProfile"
	attrTotal      = "total"
	attrAdding     = "adding"
	attrRemoving   = "removing"
	attrWhiteMode  = "whiteMode"  // profile: 1 while whitelist mode is on
	attrFriendPerm = "friendPerm" // profile: who may add the user as a friend (1, 2, 3)

	// A friend counter item sits in both friend indexes at the end each scan starts from, so the
	// first page of either order carries the count in the same Query.
	counterHead = "#" // before every time key: first in an ascending scan
	counterTail = "~" // after every time key: first in a descending scan
)

// Errors of the relation operations.
var (
	// ErrListFull: the change would take a list past its limit; nothing was changed.
	ErrListFull = errors.New("list limit reached")
	// ErrBadCursor: a list position that no list page produced.
	ErrBadCursor = errors.New("malformed list position")
	// errRaced: another request changed the same counter between our read and our write.
	errRaced = errors.New("concurrent change")
)

// UserError names the user of a request that made it fail; Err is ErrNotFound or
// ErrDeactivated.
type UserError struct {
	User string
	Err  error
}

func (e *UserError) Error() string { return e.Err.Error() + ": " + e.User }
func (e *UserError) Unwrap() error { return e.Err }

// Member is a user as the relation rules see it: the profile with the settings kept on it.
type Member struct {
	*User
	WhiteMode  bool
	FriendPerm int // 0 when never set
}

func memberFrom(it item) *Member {
	return &Member{User: userFrom(it), WhiteMode: num(it, attrWhiteMode) == 1, FriendPerm: int(num(it, attrFriendPerm))}
}

// GetMembers reads users' profiles, 100 to a BatchGetItem; unknown users are absent.
func (st *Store) GetMembers(ctx context.Context, app string, users []string) (map[string]*Member, error) {
	keys := make([]item, len(users))
	for i, u := range users {
		keys[i] = userKey(app, u)
	}
	items, err := st.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Member, len(items))
	for _, it := range items {
		m := memberFrom(it)
		out[m.ID] = m
	}
	return out, nil
}

// Check judges the users a change reads (profiles, read in the same batch as the entries) and
// refuses the change by returning an error; it may run more than once.
type Check func(users map[string]*Member) error

// Changing a list takes four round trips, each safe to repeat, rather than a transaction:
// dynalite (the local stand-in) has none, and in AWS they cost double. The four:
//
//  1. read: one BatchGetItem of the profiles to check, each touched list's counter item and
//     each touched entry;
//  2. reserve: one conditional UpdateItem per counter that changes its total and records the
//     targets in flight (set "adding" for entries about to be written, "removing" for entries
//     about to be deleted), guarded by the limit and by the marks it read;
//  3. write: BatchWriteItem of the entry puts and deletes;
//  4. confirm: one UpdateItem per counter that drops the marks.
//
// The marks make the total exact under retries: total always equals the entries plus the
// "adding" targets whose entry is missing, minus the "removing" targets whose entry still
// exists. A crash after 2 leaves a mark; the retry reads it with the entry's state and knows the
// count already moved, so it finishes the write without counting again (and a later request on
// the same target repairs a mark nobody retried). A crash after 3 leaves a mark whose entry
// already agrees; the next request on that target drops it. A reserve that fails its condition
// (another request moved the same counter or marks first) reads again and plans again; so
// does the SDK's own retry of a reserve whose answer was lost, which finds its marks set.
//
// Two requests racing on the same target can still leave the total one off (a removal that
// clears the mark of an add still in flight); a retry of either does not make it worse.

type change struct {
	owner   string
	kind    Kind
	target  string
	present bool // wanted state of the entry
}

type mutation struct {
	changes []change
	users   []string // profiles to read and hand to check (and to name friends)
	check   Check
	limit   int64 // most entries per list; 0 for none
	now     int64
}

type listRef struct {
	owner string
	kind  Kind
}

type counter struct {
	total            int64
	adding, removing map[string]bool
}

// plan is what one counter needs: the reserve (delta, marks to add and to drop under
// conditions) and the confirm (marks to drop afterwards).
type plan struct {
	delta                  int64
	addA, delA, addR, delR []string
	doneA, doneR           []string
}

func (p *plan) reserves() bool {
	return p.delta != 0 || len(p.addA)+len(p.delA)+len(p.addR)+len(p.delR) > 0
}

// maxAttempts bounds the re-reads after a reserve lost a race.
const maxAttempts = 4

func (st *Store) apply(ctx context.Context, app string, m mutation) error {
	for attempt := 1; ; attempt++ {
		err := st.applyOnce(ctx, app, m)
		if !errors.Is(err, errRaced) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("list changed by concurrent requests %d times in a row: %w", attempt, err)
		}
	}
}

func (st *Store) applyOnce(ctx context.Context, app string, m mutation) error {
	// 1. read
	var keys []item
	for _, u := range m.users {
		keys = append(keys, userKey(app, u))
	}
	var refs []listRef
	for _, c := range m.changes {
		if r := (listRef{c.owner, c.kind}); !slices.Contains(refs, r) {
			refs = append(refs, r)
			keys = append(keys, key(userPK(app, r.owner), counterSK(r.kind)))
		}
		keys = append(keys, key(userPK(app, c.owner), entrySK(c.kind, c.target)))
	}
	items, err := st.batchGet(ctx, keys)
	if err != nil {
		return err
	}
	users := map[string]*Member{}
	counters := map[listRef]*counter{}
	exists := map[change]bool{}
	for _, it := range items {
		owner, sk := ownerOf(str(it, AttrPK)), str(it, AttrSK)
		if sk == skProfile {
			u := memberFrom(it)
			users[u.ID] = u
			continue
		}
		if kind, target, ok := strings.Cut(sk, "#"); ok {
			exists[change{owner: owner, kind: Kind(kind), target: target}] = true
			continue
		}
		counters[listRef{owner, Kind(sk)}] = &counter{total: num(it, attrTotal), adding: set(it, attrAdding), removing: set(it, attrRemoving)}
	}
	if m.check != nil {
		if err := m.check(users); err != nil {
			return err
		}
	}

	// plan
	plans := map[listRef]*plan{}
	var writes []types.WriteRequest
	for _, c := range m.changes {
		r := listRef{c.owner, c.kind}
		cs := counters[r]
		if cs == nil {
			cs = &counter{adding: map[string]bool{}, removing: map[string]bool{}}
		}
		p := plans[r]
		if p == nil {
			p = &plan{}
			plans[r] = p
		}
		t, has := c.target, exists[change{owner: c.owner, kind: c.kind, target: c.target}]
		entry := key(userPK(app, c.owner), entrySK(c.kind, t))
		if c.present {
			switch {
			case has && cs.removing[t]: // uncounted by a removal that never deleted it
				p.delta++
				p.delR = append(p.delR, t)
			case has: // nothing to do; a leftover mark goes
			case cs.adding[t]: // counted by an attempt that never wrote it
				writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: st.entryItem(app, c, m.now, users)}})
			default:
				p.delta++
				p.addA = append(p.addA, t)
				if cs.removing[t] {
					p.delR = append(p.delR, t)
				}
				writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: st.entryItem(app, c, m.now, users)}})
			}
			if cs.adding[t] || !has {
				p.doneA = append(p.doneA, t)
			}
		} else {
			switch {
			case !has && cs.adding[t]: // counted by an add that never wrote it
				p.delta--
				p.delA = append(p.delA, t)
			case !has: // nothing to do; a leftover mark goes
			case cs.removing[t]: // uncounted by an attempt that never deleted it
				writes = append(writes, deleteRequest(entry))
			default:
				p.delta--
				p.addR = append(p.addR, t)
				if cs.adding[t] {
					p.delA = append(p.delA, t)
				}
				writes = append(writes, deleteRequest(entry))
			}
			if cs.removing[t] || has {
				p.doneR = append(p.doneR, t)
			}
		}
	}
	for r, p := range plans {
		var total int64
		if cs := counters[r]; cs != nil {
			total = cs.total
		}
		if m.limit > 0 && p.delta > 0 && total+p.delta > m.limit {
			return fmt.Errorf("%w: %s of %s holds at most %d", ErrListFull, r.kind, r.owner, m.limit)
		}
		if counters[r] == nil && p.delta < 0 {
			// Entries without a counter belong to a user whose erasure removed the counter
			// first: delete them, and create no counter for an erased user.
			*p = plan{}
		}
	}

	// 2. reserve
	var reserve, confirm []listRef
	for r, p := range plans {
		if p.reserves() {
			reserve = append(reserve, r)
		}
		if len(p.doneA)+len(p.doneR) > 0 {
			confirm = append(confirm, r)
		}
	}
	err = each(ctx, len(reserve), func(ctx context.Context, i int) error {
		return st.reserve(ctx, app, reserve[i], plans[reserve[i]], m.limit)
	})
	if err != nil {
		return err
	}
	// 3. write
	if err := st.batchWrite(ctx, writes); err != nil {
		return err
	}
	// 4. confirm
	return each(ctx, len(confirm), func(ctx context.Context, i int) error {
		return st.confirm(ctx, app, confirm[i], plans[confirm[i]])
	})
}

// ownerOf is the user of a user partition key.
func ownerOf(pk string) string { return pk[strings.LastIndex(pk, "#U#")+3:] }

func set(it item, name string) map[string]bool {
	out := map[string]bool{}
	if ss, ok := it[name].(*types.AttributeValueMemberSS); ok {
		for _, v := range ss.Value {
			out[v] = true
		}
	}
	return out
}

func (st *Store) entryItem(app string, c change, now int64, users map[string]*Member) item {
	it := key(userPK(app, c.owner), entrySK(c.kind, c.target))
	it[attrAt] = n(now)
	it["GSI2PK"] = s(listPK(app, c.owner, c.kind))
	it["GSI2SK"] = s(timeKey(now, c.target))
	if c.kind == Friends {
		it["GSI3PK"], it["GSI3SK"] = it["GSI2PK"], it["GSI2SK"]
		if u := users[c.target]; u != nil && u.Name != "" {
			it[attrName] = s(u.Name)
		}
	}
	return it
}

// reserve moves a counter's total and marks, under the conditions that what it read still
// holds and that the list stays within limit.
func (st *Store) reserve(ctx context.Context, app string, r listRef, p *plan, limit int64) error {
	names := map[string]string{"#t": attrTotal}
	values := item{":d": n(p.delta), ":zero": n(0)}
	sets := []string{"#t = if_not_exists(#t, :zero) + :d"}
	if r.kind == Friends {
		sets = append(sets, "GSI2PK = :ipk, GSI2SK = :tail, GSI3PK = :ipk, GSI3SK = :head")
		values[":ipk"], values[":tail"], values[":head"] = s(listPK(app, r.owner, r.kind)), s(counterTail), s(counterHead)
	}
	var adds, dels, conds []string
	marks := func(attr, ref, fn string, ids []string, clause *[]string) {
		if len(ids) == 0 {
			return
		}
		names[ref] = attr
		values[":"+fn+ref[1:]] = &types.AttributeValueMemberSS{Value: ids}
		*clause = append(*clause, ref+" :"+fn+ref[1:])
		for i, t := range ids {
			v := fmt.Sprintf(":%s%s%d", fn, ref[1:], i)
			values[v] = s(t)
			if fn == "add" {
				conds = append(conds, fmt.Sprintf("NOT contains(%s, %s)", ref, v))
			} else {
				conds = append(conds, fmt.Sprintf("contains(%s, %s)", ref, v))
			}
		}
	}
	marks(attrAdding, "#a", "add", p.addA, &adds)
	marks(attrRemoving, "#r", "add", p.addR, &adds)
	marks(attrAdding, "#a", "del", p.delA, &dels)
	marks(attrRemoving, "#r", "del", p.delR, &dels)
	switch {
	case limit > 0 && p.delta > 0:
		conds = append(conds, "(attribute_not_exists(#t) OR #t <= :room)")
		values[":room"] = n(limit - p.delta)
	case p.delta < 0:
		// Only an existing counter is lowered: one erased meanwhile is not brought back.
		conds = append(conds, "attribute_exists(#t)")
	}
	expr := "SET " + strings.Join(sets, ", ")
	if len(adds) > 0 {
		expr += " ADD " + strings.Join(adds, ", ")
	}
	if len(dels) > 0 {
		expr += " DELETE " + strings.Join(dels, ", ")
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(userPK(app, r.owner), counterSK(r.kind)),
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}
	if len(conds) > 0 {
		in.ConditionExpression = aws.String(strings.Join(conds, " AND "))
	}
	_, err := st.db.UpdateItem(ctx, in)
	if isConditionFailed(err) {
		return errRaced
	}
	if err != nil {
		return fmt.Errorf("reserve %s of %s: %w", r.kind, r.owner, err)
	}
	return nil
}

// confirm drops the marks of entries now written or deleted. Dropping a mark that is already
// gone changes nothing, so it needs no condition.
func (st *Store) confirm(ctx context.Context, app string, r listRef, p *plan) error {
	names := map[string]string{}
	values := item{}
	var dels []string
	if len(p.doneA) > 0 {
		names["#a"], values[":a"] = attrAdding, &types.AttributeValueMemberSS{Value: p.doneA}
		dels = append(dels, "#a :a")
	}
	if len(p.doneR) > 0 {
		names["#r"], values[":r"] = attrRemoving, &types.AttributeValueMemberSS{Value: p.doneR}
		dels = append(dels, "#r :r")
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(userPK(app, r.owner), counterSK(r.kind)),
		UpdateExpression:          aws.String("DELETE " + strings.Join(dels, ", ")),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil && !isConditionFailed(err) { // a counter erased meanwhile has no marks left
		return fmt.Errorf("confirm %s of %s: %w", r.kind, r.owner, err)
	}
	return nil
}

// parallelism bounds the single-item writes one request runs at once (DynamoDB has no batch
// update).
const parallelism = 10

// each runs fn for 0..n-1, at most parallelism at a time, and returns the first error. The
// others still finish: every fn here is safe to repeat.
func each(ctx context.Context, n int, fn func(context.Context, int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, parallelism)
	)
	for i := range n {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				if first == nil || errors.Is(first, errRaced) {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// AddEntries puts targets on owner's blocklist or whitelist (already listed ones are left as
// they are), refusing with ErrListFull beyond limit entries. check judges the owner, whose
// profile is read in the same batch.
func (st *Store) AddEntries(ctx context.Context, app string, kind Kind, owner string, targets []string, limit int, now int64, check Check) error {
	m := mutation{users: []string{owner}, check: check, limit: int64(limit), now: now}
	for _, t := range targets {
		m.changes = append(m.changes, change{owner: owner, kind: kind, target: t, present: true})
	}
	return st.apply(ctx, app, m)
}

// RemoveEntries takes targets off owner's blocklist or whitelist; absent ones are ignored.
func (st *Store) RemoveEntries(ctx context.Context, app string, kind Kind, owner string, targets []string, check Check) error {
	m := mutation{users: []string{owner}, check: check}
	for _, t := range targets {
		m.changes = append(m.changes, change{owner: owner, kind: kind, target: t})
	}
	return st.apply(ctx, app, m)
}

// AddFriendship makes a and b friends on both sides at once (a side that already exists keeps
// its remark and time). check judges both users, read in the same batch.
func (st *Store) AddFriendship(ctx context.Context, app, a, b string, now int64, check Check) error {
	return st.apply(ctx, app, mutation{
		users:   []string{a, b},
		check:   check,
		now:     now,
		changes: []change{{owner: a, kind: Friends, target: b, present: true}, {owner: b, kind: Friends, target: a, present: true}},
	})
}

// RemoveFriendships ends owner's friendships with targets, on both sides.
func (st *Store) RemoveFriendships(ctx context.Context, app, owner string, targets []string, check Check) error {
	m := mutation{users: []string{owner}, check: check}
	for _, t := range targets {
		m.changes = append(m.changes,
			change{owner: owner, kind: Friends, target: t},
			change{owner: t, kind: Friends, target: owner})
	}
	return st.apply(ctx, app, m)
}

// ClearFriends ends every friendship of owner, on both sides, 100 friends at a time. Stopped
// part way (an error, a timeout), it leaves only whole friendships, and calling it again
// finishes the rest.
func (st *Store) ClearFriends(ctx context.Context, app, owner string, check Check) error {
	var start item
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :fr)"),
			ExpressionAttributeValues: item{":pk": s(userPK(app, owner)), ":fr": s(entrySK(Friends, ""))},
			ProjectionExpression:      aws.String("SK"),
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(100),
		})
		if err != nil {
			return fmt.Errorf("list friends: %w", err)
		}
		var targets []string
		for _, it := range res.Items {
			targets = append(targets, strings.TrimPrefix(str(it, AttrSK), entrySK(Friends, "")))
		}
		// The owner is checked even with no friends, so an unknown user is told so.
		if len(targets) > 0 || start == nil {
			if err := st.RemoveFriendships(ctx, app, owner, targets, check); err != nil {
				return err
			}
		}
		if start = res.LastEvaluatedKey; start == nil {
			return nil
		}
	}
}

// Entry is one entry of a list.
type Entry struct {
	Target string
	At     int64 // ms
	// Friends only.
	Name   string // the friend's name when the friendship was made
	Remark string
	Ext    string
}

// EntryPage is one page of a list.
type EntryPage struct {
	Entries []Entry
	// Next is the position after the last entry when more may follow, "" at the end.
	Next string
	// Total is the friend count, read with a friend list's first page only (HasTotal).
	Total    int64
	HasTotal bool
}

// ListEntries returns up to limit entries of owner's list after the position after ("" from
// the start), in one Query: newest first, or oldest first (friends only) when ascending.
func (st *Store) ListEntries(ctx context.Context, app, owner string, kind Kind, after string, limit int, ascending bool) (EntryPage, error) {
	index, pkAttr, skAttr := IndexLists, "GSI2PK", "GSI2SK"
	if ascending {
		if kind != Friends {
			return EntryPage{}, fmt.Errorf("only friends are listed oldest first")
		}
		index, pkAttr, skAttr = IndexFriendsAsc, "GSI3PK", "GSI3SK"
	}
	pk := listPK(app, owner, kind)
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(pkAttr + " = :pk"),
		ExpressionAttributeValues: item{":pk": s(pk)},
		ScanIndexForward:          aws.Bool(ascending),
		// One more than asked shows whether another page follows; on a friend list's first
		// page, one more again for the counter item that heads it.
		Limit: aws.Int32(int32(limit + 1)),
	}
	first := after == ""
	if first && kind == Friends {
		in.Limit = aws.Int32(int32(limit + 2))
	}
	if !first {
		target, ok := cursorTarget(after)
		if !ok {
			return EntryPage{}, ErrBadCursor
		}
		in.ExclusiveStartKey = item{
			AttrPK: s(userPK(app, owner)), AttrSK: s(entrySK(kind, target)),
			pkAttr: s(pk), skAttr: s(after),
		}
	}
	res, err := st.db.Query(ctx, in)
	if err != nil {
		return EntryPage{}, fmt.Errorf("list %s: %w", kind, err)
	}
	var page EntryPage
	more := false
	for _, it := range res.Items {
		sk := str(it, AttrSK)
		if sk == counterSK(kind) {
			page.Total, page.HasTotal = num(it, attrTotal), true
			continue
		}
		if len(page.Entries) == limit {
			more = true
			break
		}
		page.Entries = append(page.Entries, Entry{
			Target: strings.TrimPrefix(sk, entrySK(kind, "")),
			At:     num(it, attrAt),
			Name:   str(it, attrName),
			Remark: str(it, attrRemark),
			Ext:    str(it, attrExt),
		})
	}
	// More follows when an entry beyond the page came back, or when DynamoDB stopped early
	// (its 1 MB limit) with entries still unread.
	if n := len(page.Entries); n > 0 && (more || res.LastEvaluatedKey != nil) {
		last := page.Entries[n-1]
		page.Next = timeKey(last.At, last.Target)
	}
	if first && kind == Friends && !page.HasTotal {
		page.HasTotal = true // no counter item yet: no friends ever
	}
	return page, nil
}

// cursorTarget checks a list position ("<13-digit ms>#<target>") and returns its target.
func cursorTarget(c string) (string, bool) {
	ms, target, ok := strings.Cut(c, "#")
	if !ok || len(ms) != 13 || target == "" || len(target) > 64 || strings.Contains(target, "#") {
		return "", false
	}
	if _, err := strconv.ParseUint(ms, 10, 64); err != nil {
		return "", false
	}
	return target, true
}

// SetFriendProfile sets the remark and/or extension profile owner keeps about a friend (nil
// leaves a field unchanged, "" clears it). ErrNotFound when they are not friends.
func (st *Store) SetFriendProfile(ctx context.Context, app, owner, target string, remark, ext *string) error {
	var sets, removes []string
	names := map[string]string{}
	values := item{}
	field := func(ref, attr string, v *string) {
		if v == nil {
			return
		}
		names[ref] = attr
		if *v == "" {
			removes = append(removes, ref)
			return
		}
		values[":"+ref[1:]] = s(*v)
		sets = append(sets, ref+" = :"+ref[1:])
	}
	field("#remark", attrRemark, remark)
	field("#ext", attrExt, ext)
	expr := ""
	if len(sets) > 0 {
		expr = "SET " + strings.Join(sets, ", ")
	}
	if len(removes) > 0 {
		expr += " REMOVE " + strings.Join(removes, ", ")
	}
	in := &dynamodb.UpdateItemInput{
		TableName:                aws.String(st.table),
		Key:                      key(userPK(app, owner), entrySK(Friends, target)),
		ConditionExpression:      aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames: names,
	}
	if expr == "" {
		// Nothing to change: still tell whether they are friends.
		in.UpdateExpression = aws.String("SET #at = #at")
		in.ExpressionAttributeNames = map[string]string{"#at": attrAt}
	} else {
		in.UpdateExpression = aws.String(strings.TrimSpace(expr))
	}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	_, err := st.db.UpdateItem(ctx, in)
	if isConditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set friend profile: %w", err)
	}
	return nil
}

// FriendsOf reports which targets owner has as friends, 100 keys to a BatchGetItem, with the
// owner's profile read in the same batch (nil when unknown).
func (st *Store) FriendsOf(ctx context.Context, app, owner string, targets []string) (*Member, map[string]bool, error) {
	keys := []item{userKey(app, owner)}
	for _, t := range targets {
		keys = append(keys, key(userPK(app, owner), entrySK(Friends, t)))
	}
	items, err := st.batchGet(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	var m *Member
	out := map[string]bool{}
	for _, it := range items {
		sk := str(it, AttrSK)
		if sk == skProfile {
			m = memberFrom(it)
			continue
		}
		out[strings.TrimPrefix(sk, entrySK(Friends, ""))] = true
	}
	return m, out, nil
}

// SetWhiteMode turns whitelist mode on or off for existing, active users, one conditional
// UpdateItem each (side by side).
func (st *Store) SetWhiteMode(ctx context.Context, app string, users []string, on bool) error {
	v := int64(0)
	if on {
		v = 1
	}
	return st.setOnProfiles(ctx, app, users, attrWhiteMode, v)
}

// SetFriendPermission records who may add each user as a friend.
func (st *Store) SetFriendPermission(ctx context.Context, app string, users []string, perm int) error {
	return st.setOnProfiles(ctx, app, users, attrFriendPerm, int64(perm))
}

func (st *Store) setOnProfiles(ctx context.Context, app string, users []string, attr string, v int64) error {
	return each(ctx, len(users), func(ctx context.Context, i int) error {
		_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(st.table),
			Key:                       userKey(app, users[i]),
			UpdateExpression:          aws.String("SET #v = :v"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(#deact)"),
			ExpressionAttributeNames:  map[string]string{"#v": attr, "#deact": attrDeactivated},
			ExpressionAttributeValues: item{":v": n(v)},
		})
		if isConditionFailed(err) {
			// Deactivated or deleted since the caller checked: say which.
			switch err := st.checkActive(ctx, app, users[i]); {
			case errors.Is(err, ErrNotFound), errors.Is(err, ErrDeactivated):
				return &UserError{User: users[i], Err: err}
			case err != nil:
				return err
			}
			return &UserError{User: users[i], Err: ErrDeactivated} // and reactivated again since
		}
		if err != nil {
			return fmt.Errorf("set %s: %w", attr, err)
		}
		return nil
	})
}

// AppSettings are the settings an app's operator changes through the API.
type AppSettings struct {
	// FriendsOnlyDirectMessages: only friends may send each other direct messages.
	FriendsOnlyDirectMessages bool
}

const attrFriendsOnly = "friendsOnlyDirectMessages"

func settingsKey(app string) item { return key(appPK(app), skSettings) }

func settingsFrom(it item) AppSettings {
	return AppSettings{FriendsOnlyDirectMessages: num(it, attrFriendsOnly) == 1}
}

// GetAppSettings reads an app's settings in one GetItem; an app never set has the defaults.
func (st *Store) GetAppSettings(ctx context.Context, app string) (AppSettings, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: settingsKey(app), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return AppSettings{}, fmt.Errorf("get app settings: %w", err)
	}
	return settingsFrom(res.Item), nil
}

// PutAppSettings stores an app's settings in one write.
func (st *Store) PutAppSettings(ctx context.Context, app string, a AppSettings) error {
	v := int64(0)
	if a.FriendsOnlyDirectMessages {
		v = 1
	}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       settingsKey(app),
		UpdateExpression:          aws.String("SET #f = :f"),
		ExpressionAttributeNames:  map[string]string{"#f": attrFriendsOnly},
		ExpressionAttributeValues: item{":f": n(v)},
	})
	if err != nil {
		return fmt.Errorf("put app settings: %w", err)
	}
	return nil
}

// ListCount reads the total a list's counter holds (tests and checks).
func (st *Store) ListCount(ctx context.Context, app, owner string, kind Kind) (int64, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(userPK(app, owner), counterSK(kind)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, err
	}
	return num(res.Item, attrTotal), nil
}
