package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// User is a user's profile-and-state item: one read answers every question a token check or a
// connect asks (does the user exist, is it deactivated, banned, are its tokens expired).
type User struct {
	ID            string
	Name          string
	Portrait      string
	CreatedAt     int64 // ms; tokens issued earlier belong to an earlier registration
	NotBefore     int64 // ms; tokens issued earlier are expired
	DeactivatedAt int64 // ms; 0 while active
	ErasePending  string
	// BanUntil (ms) comes from the user's ban item, read with the profile only by GetUserState,
	// the direct-message check and the list reads and changes; the ban holds while
	// now < BanUntil.
	BanUntil int64
	// AppSettings are the user's app's, read with the profile by GetUserState only (whether
	// the app wants to hear of the connection).
	AppSettings AppSettings
}

// Deactivated reports whether the user is deactivated.
func (u *User) Deactivated() bool { return u.DeactivatedAt != 0 }

// Attribute names of the user item, for expressions; userItem's tags name the same.
const (
	attrName        = "name"
	attrPortrait    = "portrait"
	attrCreatedAt   = "createdAt"
	attrNotBefore   = "notBefore"
	attrDeactivated = "deactivatedAt"
	attrErase       = "erasePending"
	attrIDs         = "ids"
)

// userItem is the profile-and-state item, with the settings the relation rules keep on it. It
// is written only by updates of single attributes (below and in relations.go).
type userItem struct {
	PK            string `dynamodbav:"PK"`
	Name          string `dynamodbav:"name"`
	Portrait      string `dynamodbav:"portrait"`
	CreatedAt     int64  `dynamodbav:"createdAt"`
	NotBefore     int64  `dynamodbav:"notBefore"`
	DeactivatedAt int64  `dynamodbav:"deactivatedAt"`
	ErasePending  string `dynamodbav:"erasePending"`
	WhiteMode     int64  `dynamodbav:"whiteMode"`  // 1 while whitelist mode is on
	FriendPerm    int64  `dynamodbav:"friendPerm"` // who may add the user as a friend (1, 2, 3)
}

func userKey(app, user string) itemKey { return key(userPK(app, user), skProfile) }

func (u *userItem) user() *User {
	return &User{
		ID:            ownerOf(u.PK),
		Name:          u.Name,
		Portrait:      u.Portrait,
		CreatedAt:     u.CreatedAt,
		NotBefore:     u.NotBefore,
		DeactivatedAt: u.DeactivatedAt,
		ErasePending:  u.ErasePending,
	}
}

func userFrom(it item) (*User, error) {
	u, err := unmarshal[userItem](it)
	if err != nil {
		return nil, err
	}
	return u.user(), nil
}

// GetUser reads one user in one strongly consistent GetItem.
func (st *Store) GetUser(ctx context.Context, app, user string) (*User, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: userKey(app, user).av(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	if res.Item == nil {
		return nil, ErrNotFound
	}
	return userFrom(res.Item)
}

// GetUsers reads users' profiles, 100 to a BatchGetItem; missing users are absent from the map.
func (st *Store) GetUsers(ctx context.Context, app string, users []string) (map[string]*User, error) {
	members, err := st.GetMembers(ctx, app, users)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*User, len(members))
	for id, m := range members {
		out[id] = m.User
	}
	return out, nil
}

// ReserveDevSlot records user in the development app's registry of at most limit users, in one
// conditional write. A user already recorded passes even when the registry is full.
func (st *Store) ReserveDevSlot(ctx context.Context, app, user string, limit int) error {
	vals := values(map[string]any{":user": user, ":limit": limit})
	vals[":one"] = &types.AttributeValueMemberSS{Value: []string{user}}
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(appPK(app), skDevUsers).av(),
		UpdateExpression:          aws.String("ADD #ids :one"),
		ConditionExpression:       aws.String("attribute_not_exists(#ids) OR contains(#ids, :user) OR size(#ids) < :limit"),
		ExpressionAttributeNames:  map[string]string{"#ids": attrIDs},
		ExpressionAttributeValues: vals,
	})
	if isConditionFailed(err) {
		return ErrCapReached
	}
	if err != nil {
		return fmt.Errorf("reserve dev slot: %w", err)
	}
	return nil
}

// DevSlots lists the users recorded in a development app's registry.
func (st *Store) DevSlots(ctx context.Context, app string) ([]string, error) {
	res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.table), Key: key(appPK(app), skDevUsers).av(), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("get dev registry: %w", err)
	}
	var registry struct {
		IDs []string `dynamodbav:"ids,stringset"`
	}
	if err := attributevalue.UnmarshalMap(res.Item, &registry); err != nil {
		return nil, fmt.Errorf("read dev registry: %w", err)
	}
	return registry.IDs, nil
}

// ReleaseDevSlots removes users from the registry, freeing their places.
func (st *Store) ReleaseDevSlots(ctx context.Context, app string, users []string) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       key(appPK(app), skDevUsers).av(),
		UpdateExpression:          aws.String("DELETE #ids :users"),
		ExpressionAttributeNames:  map[string]string{"#ids": attrIDs},
		ExpressionAttributeValues: item{":users": &types.AttributeValueMemberSS{Value: users}},
	})
	if err != nil {
		return fmt.Errorf("release dev slots: %w", err)
	}
	return nil
}

// Register creates the user or overwrites its name and portrait, in one conditional write,
// and returns the user's registration time (ms) as stored. A deactivated user is left
// unchanged (ErrDeactivated). dev places the user in the development-user index.
func (st *Store) Register(ctx context.Context, app, user, name, portrait string, now int64, dev bool) (createdAt int64, err error) {
	set := "SET #name = :name, #portrait = :portrait, #created = if_not_exists(#created, :now)"
	names := map[string]string{"#name": attrName, "#portrait": attrPortrait, "#created": attrCreatedAt, "#deact": attrDeactivated}
	vals := map[string]any{":name": name, ":portrait": portrait, ":now": now}
	if dev {
		set += ", GSI1PK = :devpk, GSI1SK = if_not_exists(GSI1SK, :devsk)"
		vals[":devpk"] = devIndexPK(app)
		vals[":devsk"] = timeKey(now, user)
	}
	res, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       userKey(app, user).av(),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String("attribute_not_exists(#deact)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values(vals),
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if isConditionFailed(err) {
		return 0, ErrDeactivated
	}
	if err != nil {
		return 0, fmt.Errorf("register user: %w", err)
	}
	u, err := unmarshal[userItem](res.Attributes)
	if err != nil {
		return 0, fmt.Errorf("register user: %w", err)
	}
	return u.CreatedAt, nil
}

// UpdateProfile changes name and/or portrait ("" leaves a field unchanged) of an existing,
// active user. It answers ErrNotFound or ErrDeactivated (the second read happens only then).
func (st *Store) UpdateProfile(ctx context.Context, app, user, name, portrait string) error {
	var update expression.UpdateBuilder
	if name != "" {
		update = update.Set(expression.Name(attrName), expression.Value(name))
	}
	if portrait != "" {
		update = update.Set(expression.Name(attrPortrait), expression.Value(portrait))
	}
	if name == "" && portrait == "" {
		return st.checkActive(ctx, app, user)
	}
	expr, err := expression.NewBuilder().WithUpdate(update).WithCondition(
		expression.AttributeExists(expression.Name(AttrPK)).And(expression.AttributeNotExists(expression.Name(attrDeactivated))),
	).Build()
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	_, err = st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       userKey(app, user).av(),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return st.checkActive(ctx, app, user)
	}
	if err != nil {
		return fmt.Errorf("update profile: %w", err)
	}
	return nil
}

// checkActive tells why a conditional write on an active user failed.
func (st *Store) checkActive(ctx context.Context, app, user string) error {
	u, err := st.GetUser(ctx, app, user)
	if err != nil {
		return err
	}
	if u.Deactivated() {
		return ErrDeactivated
	}
	return nil
}

// SetNotBefore expires every token of user issued before t (ms). A later time already set is
// kept, so concurrent expiries settle on the latest.
func (st *Store) SetNotBefore(ctx context.Context, app, user string, t int64) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       userKey(app, user).av(),
		UpdateExpression:          aws.String("SET #nb = :t"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND (attribute_not_exists(#nb) OR #nb < :t)"),
		ExpressionAttributeNames:  map[string]string{"#nb": attrNotBefore},
		ExpressionAttributeValues: values(map[string]any{":t": t}),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("expire tokens: %w", err)
	}
	return nil
}

// Deactivate marks an existing user deactivated at now (kept if it already was), erases its
// profile (with the whitelist mode and friend permission kept on it) in the same write, lists it
// in the deactivated index, and records the erasure still to run. Only one of these writes per
// user: DynamoDB has no batch update.
func (st *Store) Deactivate(ctx context.Context, app, user string, now int64, operateID string) error {
	shard := shardOf(user)
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(st.table),
		Key:       userKey(app, user).av(),
		UpdateExpression: aws.String("SET #deact = if_not_exists(#deact, :now), #erase = :op, " +
			"GSI2PK = :ipk, GSI2SK = if_not_exists(GSI2SK, :isk) REMOVE #name, #portrait, #white, #perm"),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames: map[string]string{
			"#deact": attrDeactivated, "#erase": attrErase, "#name": attrName, "#portrait": attrPortrait,
			"#white": attrWhiteMode, "#perm": attrFriendPerm,
		},
		ExpressionAttributeValues: values(map[string]any{
			":now": now, ":op": operateID, ":ipk": deactIndexPK(app, shard), ":isk": timeKey(now, user),
		}),
	})
	if isConditionFailed(err) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("deactivate: %w", err)
	}
	return nil
}

// Reactivate lifts a deactivation. Tokens issued before now stay refused: a reactivated user
// needs a new token. An active user is left unchanged.
func (st *Store) Reactivate(ctx context.Context, app, user string, now int64) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       userKey(app, user).av(),
		UpdateExpression:          aws.String("SET #nb = :now REMOVE #deact, GSI2PK, GSI2SK"),
		ConditionExpression:       aws.String("attribute_exists(#deact)"),
		ExpressionAttributeNames:  map[string]string{"#nb": attrNotBefore, "#deact": attrDeactivated},
		ExpressionAttributeValues: values(map[string]any{":now": now}),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("reactivate: %w", err)
	}
	return nil
}

// FinishErasure clears the pending-erasure mark, unless a newer deactivation replaced it.
func (st *Store) FinishErasure(ctx context.Context, app, user, operateID string) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       userKey(app, user).av(),
		UpdateExpression:          aws.String("REMOVE #erase"),
		ConditionExpression:       aws.String("#erase = :op"),
		ExpressionAttributeNames:  map[string]string{"#erase": attrErase},
		ExpressionAttributeValues: values(map[string]any{":op": operateID}),
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("finish erasure: %w", err)
	}
	return nil
}

// ListDeactivated returns page pageNo (from 1) of deactivated users, oldest deactivation
// first: after the previous page's bookmark when there is one, else reading each index shard
// as far as the page reaches (see numberedPage).
func (st *Store) ListDeactivated(ctx context.Context, app string, pageNo, pageSize int) ([]string, error) {
	keys, err := st.numberedPage(ctx, app, listingDeactivated, shardIndex{IndexDeactivated, "GSI2PK", "GSI2SK",
		func(shard int) string { return deactIndexPK(app, shard) }}, "", pageNo, pageSize, false)
	if err != nil {
		return nil, fmt.Errorf("list deactivated: %w", err)
	}
	users := make([]string, len(keys))
	for i, k := range keys {
		_, users[i], _ = strings.Cut(k, "#")
	}
	return users, nil
}

// ListDevUsers returns every user of a development app (at most the cap) in registration order,
// in one Query.
func (st *Store) ListDevUsers(ctx context.Context, app string) ([]*User, error) {
	var out []*User
	var start item
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			IndexName:                 aws.String(IndexDevUsers),
			KeyConditionExpression:    aws.String("GSI1PK = :pk"),
			ExpressionAttributeValues: values(map[string]any{":pk": devIndexPK(app)}),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("list dev users: %w", err)
		}
		var page []userItem
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &page); err != nil {
			return nil, fmt.Errorf("list dev users: %w", err)
		}
		for _, u := range page {
			out = append(out, u.user())
		}
		if start = res.LastEvaluatedKey; start == nil {
			return out, nil
		}
	}
}

// DeleteUsers removes users' profile, ban and mute items (their related items go through
// erasure): a userId registered again starts without the old ban or mute.
func (st *Store) DeleteUsers(ctx context.Context, app string, users []string) error {
	reqs := make([]types.WriteRequest, 0, 3*len(users))
	for _, u := range users {
		reqs = append(reqs, deleteRequest(userKey(app, u)), deleteRequest(banKey(app, u)), deleteRequest(muteKey(app, u)))
	}
	return st.batchWrite(ctx, reqs)
}

// reverseOf returns the other side of a two-sided relation item the user owns (a friendship is
// stored under both users), so erasure removes both; ok is false for one-sided items.
func reverseOf(user, sk string) (rev change, ok bool) {
	target, found := strings.CutPrefix(sk, entrySK(Friends, ""))
	if !found || target == "" {
		return change{}, false
	}
	return change{owner: target, kind: Friends, target: user}, true
}

// EraseRelated deletes every item under the user's partition except the profile, with the other
// side of two-sided relations, in batches of 25. It stops early, with done=false, when stop
// reports true; running it again continues where it stopped (what was deleted is gone).
// The other sides go first, through the same steps as a friend removal, so each friend's count
// drops with the entry; a crash before the user's own items are deleted finds them again.
func (st *Store) EraseRelated(ctx context.Context, app, user string, stop func() bool) (done bool, err error) {
	var start item
	for {
		if stop() {
			return false, nil
		}
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("PK = :pk AND SK > :profile"),
			ExpressionAttributeValues: values(map[string]any{":pk": userPK(app, user), ":profile": skProfile}),
			ProjectionExpression:      aws.String("PK, SK"),
			ExclusiveStartKey:         start,
			Limit:                     aws.Int32(500),
		})
		if err != nil {
			return false, fmt.Errorf("list user items: %w", err)
		}
		var keys []itemKey
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &keys); err != nil {
			return false, fmt.Errorf("list user items: %w", err)
		}
		var reqs []types.WriteRequest
		var reverse []change
		for _, k := range keys {
			if rev, ok := reverseOf(user, k.SK); ok {
				reverse = append(reverse, rev)
			}
			reqs = append(reqs, deleteRequest(key(userPK(app, user), k.SK)))
		}
		if len(reverse) > 0 {
			if err := st.apply(ctx, app, mutation{changes: reverse}); err != nil {
				return false, fmt.Errorf("erase friendships: %w", err)
			}
		}
		if err := st.batchWrite(ctx, reqs); err != nil {
			return false, err
		}
		if start = res.LastEvaluatedKey; start == nil {
			return true, nil
		}
	}
}

// ItemsOf counts what is left under a user's partition, profile included (for tests and checks).
func (st *Store) ItemsOf(ctx context.Context, app, user string) ([]string, error) {
	var sks []string
	var start item
	for {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			KeyConditionExpression:    aws.String("PK = :pk"),
			ExpressionAttributeValues: values(map[string]any{":pk": userPK(app, user)}),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, err
		}
		var keys []itemKey
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &keys); err != nil {
			return nil, err
		}
		for _, k := range keys {
			sks = append(sks, k.SK)
		}
		if start = res.LastEvaluatedKey; start == nil {
			return sks, nil
		}
	}
}
