package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"imusers/shared/parallel"
)

// Attributes of relation entries, list counters and the settings kept on profiles, for
// expressions; entryItem, counterItem and userItem's tags name the same.
const (
	attrAt         = "at" // ms the entry was made
	attrRemark     = "remarkName"
	attrExt        = "friendExtProfile"
	attrTotal      = "total"
	attrVer        = "ver"
	attrWhiteMode  = "whiteMode"
	attrFriendPerm = "friendPerm"

	// A friend counter sits in both friend indexes at the end each scan starts from, so the
	// first page of either order carries the count in the same Query (IndexFriendsAsc).
	counterHead = "#" // before every time key: first in the oldest first scan
	counterTail = "~" // after every time key: first in the newest first scan
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

func memberFrom(it item) (*Member, error) {
	u, err := unmarshal[userItem](it)
	if err != nil {
		return nil, err
	}
	return &Member{User: u.user(), WhiteMode: u.WhiteMode == 1, FriendPerm: int(u.FriendPerm)}, nil
}

// GetMembers reads users' profiles, 100 to a BatchGetItem; unknown users are absent.
func (st *Store) GetMembers(ctx context.Context, app string, users []string) (map[string]*Member, error) {
	keys := make([]itemKey, len(users))
	for i, u := range users {
		keys[i] = userKey(app, u)
	}
	items, err := st.batchGet(ctx, keys, Strong)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Member, len(items))
	for _, it := range items {
		m, err := memberFrom(it)
		if err != nil {
			return nil, err
		}
		out[m.ID] = m
	}
	return out, nil
}

// Check judges the users a change reads (profiles, read in the same batch as the entries) and
// refuses the change by returning an error; it may run more than once.
type Check func(users map[string]*Member) error

// AddEntries puts targets on owner's blocklist or whitelist (already listed ones are left as
// they are), refusing with ErrListFull beyond limit entries. check judges the owner, whose
// profile and ban are read in the same batch.
func (st *Store) AddEntries(ctx context.Context, app string, kind Kind, owner string, targets []string, limit int, now int64, check Check) error {
	m := mutation{users: []string{owner}, bans: true, check: check, limit: int64(limit), now: now}
	for _, t := range targets {
		m.changes = append(m.changes, change{owner: owner, kind: kind, target: t, present: true})
	}
	return st.apply(ctx, app, m)
}

// RemoveEntries takes targets off owner's blocklist or whitelist; absent ones are ignored.
// check judges the owner, whose profile and ban are read in the same batch.
func (st *Store) RemoveEntries(ctx context.Context, app string, kind Kind, owner string, targets []string, check Check) error {
	m := mutation{users: []string{owner}, bans: true, check: check}
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

// clearChunk is how many friendships one change of ClearFriends ends: the owner's counter takes
// a mark per target in one update, and a hundred is what fits DynamoDB's expression limit.
const clearChunk = 100

// clearParallelism bounds the changes ClearFriends runs side by side: one. The changes touch
// disjoint friends but all move the owner's counter, whose change number lets only one of any
// two overlapping changes through (the other reads and plans again), so hundreds side by side
// would spend round trips on retries and gain no time; each change still runs its 101 counter
// updates side by side (parallelism wide).
const clearParallelism = 1

// ClearFriends ends owner's friendships made no later than before (ms), on both sides: it lists
// them (up to 1,000 a Query), then ends them clearChunk at a time, clearParallelism changes side
// by side. stop is asked before each change but the first begins: once it says so, or when the
// context's deadline is nearer than twice the slowest change so far, the changes not begun are
// left and done is false. Stopped part way (stop, an error, a timeout), it leaves only whole
// friendships, and calling it again finishes the rest; friendships made after before are kept.
func (st *Store) ClearFriends(ctx context.Context, app, owner string, before int64, check Check, stop func() bool) (done bool, err error) {
	targets, err := st.friendTargets(ctx, app, owner, before)
	if err != nil {
		return false, err
	}
	if len(targets) == 0 {
		// The owner is checked even with no friends, so an unknown user is told so.
		return true, st.RemoveFriendships(ctx, app, owner, nil, check)
	}
	chunks := slices.Collect(slices.Chunk(targets, clearChunk))
	var left atomic.Bool
	var slowest atomic.Int64 // ns: a change is not begun with less than twice this left
	var first error
	for _, err := range parallel.Do(ctx, len(chunks), clearParallelism, func(ctx context.Context, i int) error {
		// The first change always runs: it judges the owner, and every call makes progress.
		if stop != nil && i > 0 {
			deadline, ok := ctx.Deadline()
			if stop() || ok && time.Until(deadline) < 2*time.Duration(slowest.Load()) {
				left.Store(true)
				return nil
			}
		}
		begin := time.Now()
		err := st.RemoveFriendships(ctx, app, owner, chunks[i], check)
		for took := int64(time.Since(begin)); ; {
			if old := slowest.Load(); took <= old || slowest.CompareAndSwap(old, took) {
				break
			}
		}
		return err
	}) {
		// A refusal by check is the same for every chunk; any error says the clear is unfinished.
		if err != nil && first == nil {
			first = err
		}
	}
	return first == nil && !left.Load(), first
}

// friendTargets lists the friends of owner made no later than before (ms), strongly
// consistent, up to 1,000 a Query.
func (st *Store) friendTargets(ctx context.Context, app, owner string, before int64) ([]string, error) {
	var targets []string
	var start item
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :fr)"),
			FilterExpression:          aws.String("#at <= :before"),
			ExpressionAttributeNames:  map[string]string{"#at": attrAt},
			ExpressionAttributeValues: values(map[string]any{":pk": userPK(app, owner), ":fr": entrySK(Friends, ""), ":before": before}),
			ProjectionExpression:      aws.String("SK"),
			ConsistentRead:            aws.Bool(true),
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(1000),
		})
		if err != nil {
			return nil, fmt.Errorf("list friends: %w", err)
		}
		var entries []itemKey
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &entries); err != nil {
			return nil, fmt.Errorf("list friends: %w", err)
		}
		for _, e := range entries {
			targets = append(targets, strings.TrimPrefix(e.SK, entrySK(Friends, "")))
		}
		if start = res.LastEvaluatedKey; start == nil {
			return targets, nil
		}
	}
}

// SetFriendProfile sets the remark and/or extension profile owner keeps about a friend (nil
// leaves a field unchanged, "" clears it). ErrNotFound when they are not friends.
func (st *Store) SetFriendProfile(ctx context.Context, app, owner, target string, remark, ext *string) error {
	// Nothing to change still tells whether they are friends.
	update := expression.Set(expression.Name(attrAt), expression.Name(attrAt))
	if remark != nil || ext != nil {
		update = expression.UpdateBuilder{}
	}
	for _, f := range []struct {
		attr string
		v    *string
	}{{attrRemark, remark}, {attrExt, ext}} {
		switch {
		case f.v == nil:
		case *f.v == "":
			update = update.Remove(expression.Name(f.attr))
		default:
			update = update.Set(expression.Name(f.attr), expression.Value(*f.v))
		}
	}
	expr, err := expression.NewBuilder().WithUpdate(update).
		WithCondition(expression.AttributeExists(expression.Name(AttrPK))).Build()
	if err != nil {
		return fmt.Errorf("set friend profile: %w", err)
	}
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(userPK(app, owner), entrySK(Friends, target)).av(),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("set friend profile: %w", err)
	}
	return nil
}

// Listed reports whether target is on owner's list of kind, reading the owner's profile and
// ban in the same BatchGetItem (the member is nil when the owner is unknown).
func (st *Store) Listed(ctx context.Context, app, owner string, kind Kind, target string) (*Member, bool, error) {
	items, err := st.batchGet(ctx, []itemKey{userKey(app, owner), banKey(app, owner), key(userPK(app, owner), entrySK(kind, target))}, Strong)
	if err != nil {
		return nil, false, err
	}
	var m *Member
	var until int64
	listed := false
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return nil, false, err
		}
		switch k.SK {
		case skProfile:
			m, err = memberFrom(it)
		case skBan:
			until, err = banEnd(it)
		default:
			listed = true
		}
		if err != nil {
			return nil, false, err
		}
	}
	if m != nil {
		m.BanUntil = until
	}
	return m, listed, nil
}

// FriendsOf reports which targets owner has as friends, 100 keys to a BatchGetItem, with the
// owner's profile read in the same batch (nil when unknown).
func (st *Store) FriendsOf(ctx context.Context, app, owner string, targets []string) (*Member, map[string]bool, error) {
	keys := []itemKey{userKey(app, owner)}
	for _, t := range targets {
		keys = append(keys, key(userPK(app, owner), entrySK(Friends, t)))
	}
	items, err := st.batchGet(ctx, keys, Strong)
	if err != nil {
		return nil, nil, err
	}
	var m *Member
	out := map[string]bool{}
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return nil, nil, err
		}
		if k.SK == skProfile {
			if m, err = memberFrom(it); err != nil {
				return nil, nil, err
			}
			continue
		}
		out[strings.TrimPrefix(k.SK, entrySK(Friends, ""))] = true
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
			Key:                       userKey(app, users[i]).av(),
			UpdateExpression:          aws.String("SET #v = :v"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(#deact)"),
			ExpressionAttributeNames:  map[string]string{"#v": attr, "#deact": attrDeactivated},
			ExpressionAttributeValues: values(map[string]any{":v": v}),
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
