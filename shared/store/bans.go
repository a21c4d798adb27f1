package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
	return st.deleteEach(ctx, app, users, banKey)
}

// deleteEach deletes each user's item of one kind (its key by keyOf), in one BatchWriteItem
// per 25 users.
func (st *Store) deleteEach(ctx context.Context, app string, users []string, keyOf func(app, user string) itemKey) error {
	reqs := make([]types.WriteRequest, len(users))
	for i, u := range users {
		reqs[i] = deleteRequest(keyOf(app, u))
	}
	return st.batchWrite(ctx, reqs)
}

// GetUserState reads a user's profile and ban, and (withSettings) the app's settings, together
// in one BatchGetItem: everything a token check asks (exists, deactivated, tokens expired or
// aged out, banned), and whether the app wants to hear of the connection. User.BanUntil is 0
// without a ban; User.AppSettings are the defaults when not read.
func (st *Store) GetUserState(ctx context.Context, app, user string, withSettings bool) (*User, error) {
	keys := []itemKey{userKey(app, user), banKey(app, user)}
	if withSettings {
		keys = append(keys, settingsKey(app))
	}
	items, err := st.batchGet(ctx, keys, Strong)
	if err != nil {
		return nil, err
	}
	var u *User
	var until int64
	var settings AppSettings
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return nil, err
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
			return nil, err
		}
	}
	if u == nil {
		return nil, ErrNotFound
	}
	u.BanUntil, u.AppSettings = until, settings
	return u, nil
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
// or not. It continues after the previous page's bookmark when there is one, else reads each
// shard as far as the page reaches (see numberedPage).
func (st *Store) ListBanned(ctx context.Context, app string, now int64, pageNo, pageSize int, latestEndFirst bool) ([]Ban, error) {
	// Index keys are zero-padded end times, so every key after this one ends after now.
	after := fmt.Sprintf("%013d#~", now)
	keys, err := st.numberedPage(ctx, app, listingBanned, shardIndex{IndexBanned, "GSI3PK", "GSI3SK",
		func(shard int) string { return banIndexPK(app, shard) }}, after, pageNo, pageSize, latestEndFirst)
	if err != nil {
		return nil, fmt.Errorf("list banned: %w", err)
	}
	out := make([]Ban, len(keys))
	for i, k := range keys {
		out[i] = bannedIndexEntry(k)
	}
	return out, nil
}

// bannedIndexEntry reads a banned users' index sort key: the zero-padded end time, "#", the user.
func bannedIndexEntry(sk string) Ban {
	ms, user, _ := strings.Cut(sk, "#")
	until, _ := strconv.ParseInt(ms, 10, 64)
	return Ban{User: user, Until: until}
}

// EndedBans lists the bans of app that ended in [from, to) (ms) and are still in the banned
// users' index, up to limit per index shard: the ones not announced yet (AnnounceBanEnd takes
// a ban out of the index). Unblocked bans are gone from it, and re-blocked ones moved.
func (st *Store) EndedBans(ctx context.Context, app string, from, to int64, limit int32) ([]Ban, error) {
	var out []Ban
	for shard := range IndexShards {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(st.table),
			IndexName:              aws.String(IndexBanned),
			KeyConditionExpression: aws.String("GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to"),
			ExpressionAttributeValues: values(map[string]any{
				":pk": banIndexPK(app, shard), ":from": fmt.Sprintf("%013d", from), ":to": fmt.Sprintf("%013d", to-1) + "#~",
			}),
			ProjectionExpression: aws.String("GSI3SK"),
			Limit:                aws.Int32(limit),
		})
		if err != nil {
			return nil, fmt.Errorf("ended bans: %w", err)
		}
		var page []map[string]string
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &page); err != nil {
			return nil, fmt.Errorf("read index keys: %w", err)
		}
		for _, it := range page {
			out = append(out, bannedIndexEntry(it["GSI3SK"]))
		}
	}
	return out, nil
}

// AnnounceBanEnd takes an ended ban out of the banned users' index, once: it reports false when
// the ban was lifted, replaced or already announced (its end is no longer b.Until, or it is not
// in the index).
func (st *Store) AnnounceBanEnd(ctx context.Context, app string, b Ban) (bool, error) {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       banKey(app, b.User).av(),
		UpdateExpression:          aws.String("REMOVE GSI3PK, GSI3SK"),
		ConditionExpression:       aws.String("banUntil = :until AND attribute_exists(GSI3PK)"),
		ExpressionAttributeValues: values(map[string]any{":until": b.Until}),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("announce ban end: %w", err)
	}
	return true, nil
}
