package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A ban is its own item beside the profile, so that blocking is a blind batch put (blocking
// again simply replaces the end time) and the sparse index of banned users holds nothing else.
// Erasure keeps it (see skBan): a ban is the App Server's decision about the user, not the
// user's data, and it outlives a deactivation until its own end.

func banKey(app, user string) itemKey { return key(userPK(app, user), skBan) }

// banItem is a ban as stored, listed in the banned users' index by its end.
type banItem struct {
	itemKey
	Until     int64  `dynamodbav:"banUntil"`
	ExpiresAt int64  `dynamodbav:"expiresAt"` // AttrTTL
	IndexPK   string `dynamodbav:"GSI3PK"`
	IndexSK   string `dynamodbav:"GSI3SK"`
}

// Ban is one user's ban.
type Ban struct {
	User  string
	Until int64 // ms; the ban holds while now < Until
}

// PutBans bans users until until (ms), replacing any earlier end, in one BatchWriteItem per 25
// users. DynamoDB's TTL removes the items after the end; reads never rely on that.
func (st *Store) PutBans(ctx context.Context, app string, users []string, until int64) error {
	reqs := make([]types.WriteRequest, len(users))
	for i, u := range users {
		req, err := putRequest(banItem{
			itemKey:   banKey(app, u),
			Until:     until,
			ExpiresAt: until/1000 + 1,
			IndexPK:   banIndexPK(app, shardOf(u)),
			IndexSK:   timeKey(until, u),
		})
		if err != nil {
			return err
		}
		reqs[i] = req
	}
	return st.batchWrite(ctx, reqs)
}

// DeleteBans lifts users' bans, in one BatchWriteItem per 25 users.
func (st *Store) DeleteBans(ctx context.Context, app string, users []string) error {
	reqs := make([]types.WriteRequest, len(users))
	for i, u := range users {
		reqs[i] = deleteRequest(banKey(app, u))
	}
	return st.batchWrite(ctx, reqs)
}

// GetUserState reads a user's profile and ban, and the app's settings, together in one
// BatchGetItem: everything a token check asks (exists, deactivated, tokens expired or aged out,
// banned). User.BanUntil is 0 without a ban.
func (st *Store) GetUserState(ctx context.Context, app, user string) (*User, AppSettings, error) {
	items, err := st.batchGet(ctx, []itemKey{userKey(app, user), banKey(app, user), settingsKey(app)}, Strong)
	if err != nil {
		return nil, AppSettings{}, err
	}
	var u *User
	var until int64
	var settings AppSettings
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return nil, AppSettings{}, err
		}
		switch k.SK {
		case skProfile:
			u, err = userFrom(it)
		case skBan:
			until, err = banEnd(it)
		case skSettings:
			settings, err = settingsFrom(it)
		}
		if err != nil {
			return nil, AppSettings{}, err
		}
	}
	if u == nil {
		return nil, AppSettings{}, ErrNotFound
	}
	u.BanUntil = until
	return u, settings, nil
}

// banEnd reads the end of a ban item.
func banEnd(it item) (int64, error) {
	b, err := unmarshal[banItem](it)
	if err != nil {
		return 0, err
	}
	return b.Until, nil
}

// ListBanned returns page pageNo (from 1) of the bans still in force at now (ms), soonest end
// first (latest end first when latestEndFirst). Lapsed bans are outside every index range read, whether DynamoDB has deleted them yet
// or not. It reads each shard as far as the page reaches and merges them.
func (st *Store) ListBanned(ctx context.Context, app string, now int64, pageNo, pageSize int, latestEndFirst bool) ([]Ban, error) {
	// Index keys are zero-padded end times, so every key after this one ends after now.
	after := fmt.Sprintf("%013d#~", now)
	keys, err := st.shardedPage(ctx, IndexBanned, "GSI3PK", "GSI3SK",
		func(shard int) string { return banIndexPK(app, shard) }, after, pageNo, pageSize, latestEndFirst)
	if err != nil {
		return nil, fmt.Errorf("list banned: %w", err)
	}
	out := make([]Ban, len(keys))
	for i, k := range keys {
		ms, user, _ := strings.Cut(k, "#")
		until, _ := strconv.ParseInt(ms, 10, 64)
		out[i] = Ban{User: user, Until: until}
	}
	return out, nil
}
