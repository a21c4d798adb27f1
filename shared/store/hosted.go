package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrConflict reports a conditional write that found the item changed since it was read.
var ErrConflict = errors.New("changed by another call since it was read")

// HostedProfile is the profile an App Server keeps for a user with /user/profile/*: an item of
// its own beside the user item, so the reads that every connect and message make stay small.
type HostedProfile struct {
	User    string
	Version int64             // ms of the last change; 0 for a user that never had one
	Text    map[string]string // basic fields with text values
	Numbers map[string]int64  // basic fields with number values
	Ext     map[string]string // the userExtProfile pairs
}

// Empty reports a profile with no field: the user has no hosted profile.
func (p *HostedProfile) Empty() bool {
	return len(p.Text) == 0 && len(p.Numbers) == 0 && len(p.Ext) == 0
}

// hostedItem is a hosted profile as stored. A profile with fields is in the hosted-profile
// index under the user's registration time; a cleared one stays as its version alone, out of
// the index, so the next version still comes after it.
type hostedItem struct {
	PK      string            `dynamodbav:"PK"`
	SK      string            `dynamodbav:"SK"`
	Version int64             `dynamodbav:"version"`
	Text    map[string]string `dynamodbav:"text,omitempty"`
	Numbers map[string]int64  `dynamodbav:"numbers,omitempty"`
	Ext     map[string]string `dynamodbav:"ext,omitempty"`
	IndexPK string            `dynamodbav:"GSI1PK,omitempty"`
	IndexSK string            `dynamodbav:"GSI1SK,omitempty"`
}

func hostedKey(app, user string) itemKey { return key(userPK(app, user), skHosted) }

func hostedFrom(it item) (*HostedProfile, error) {
	h, err := unmarshal[hostedItem](it)
	if err != nil {
		return nil, err
	}
	return &HostedProfile{User: ownerOf(h.PK), Version: h.Version, Text: h.Text, Numbers: h.Numbers, Ext: h.Ext}, nil
}

// ProfileState reads the users' items and their hosted profiles in one strongly consistent
// batch (100 keys to a call): what a change of hosted profiles checks and starts from. Missing
// users and profiles are absent from the maps.
func (st *Store) ProfileState(ctx context.Context, app string, users []string) (map[string]*User, map[string]*HostedProfile, error) {
	found, profiles, _, err := st.profileState(ctx, app, users, false)
	return found, profiles, err
}

// ProfileChangeState is ProfileState with the app's settings in the same batch (one more key,
// no more calls): whether the change is announced to the App Server (webhooks) costs no read
// of its own.
func (st *Store) ProfileChangeState(ctx context.Context, app string, users []string) (map[string]*User, map[string]*HostedProfile, AppSettings, error) {
	return st.profileState(ctx, app, users, true)
}

func (st *Store) profileState(ctx context.Context, app string, users []string, withSettings bool) (map[string]*User, map[string]*HostedProfile, AppSettings, error) {
	keys := make([]itemKey, 0, 2*len(users)+1)
	for _, u := range users {
		keys = append(keys, userKey(app, u), hostedKey(app, u))
	}
	if withSettings {
		keys = append(keys, settingsKey(app))
	}
	var settings AppSettings
	items, err := st.batchGet(ctx, keys, Strong)
	if err != nil {
		return nil, nil, settings, fmt.Errorf("read profile state: %w", err)
	}
	found := map[string]*User{}
	profiles := map[string]*HostedProfile{}
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return nil, nil, settings, err
		}
		switch k.SK {
		case skHosted:
			p, err := hostedFrom(it)
			if err != nil {
				return nil, nil, settings, err
			}
			profiles[p.User] = p
			continue
		case skSettings:
			if settings, err = settingsFrom(it); err != nil {
				return nil, nil, settings, err
			}
			continue
		}
		u, err := userFrom(it)
		if err != nil {
			return nil, nil, settings, err
		}
		found[u.ID] = u
	}
	return found, profiles, settings, nil
}

// HostedProfiles reads the users' hosted profiles, 100 to a BatchGetItem; users without one
// are absent from the map.
func (st *Store) HostedProfiles(ctx context.Context, app string, users []string, c Consistency) (map[string]*HostedProfile, error) {
	keys := make([]itemKey, len(users))
	for i, u := range users {
		keys[i] = hostedKey(app, u)
	}
	items, err := st.batchGet(ctx, keys, c)
	if err != nil {
		return nil, fmt.Errorf("read hosted profiles: %w", err)
	}
	out := make(map[string]*HostedProfile, len(items))
	for _, it := range items {
		p, err := hostedFrom(it)
		if err != nil {
			return nil, err
		}
		out[p.User] = p
	}
	return out, nil
}

// PutHostedProfile stores p, the next version of the user's hosted profile, in one
// conditional write: only if the stored version is still prev (0: none stored), else
// ErrConflict. createdAt, the user's registration time, orders the profile in the index.
func (st *Store) PutHostedProfile(ctx context.Context, app string, p *HostedProfile, createdAt, prev int64) error {
	it := hostedItem{PK: userPK(app, p.User), SK: skHosted, Version: p.Version, Text: p.Text, Numbers: p.Numbers, Ext: p.Ext}
	if !p.Empty() {
		it.IndexPK, it.IndexSK = hostedIndexPK(app, shardOf(p.User)), timeKey(createdAt, p.User)
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return fmt.Errorf("put hosted profile: %w", err)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: av,
		ConditionExpression: aws.String("attribute_not_exists(PK)")}
	if prev != 0 {
		in.ConditionExpression = aws.String("version = :prev")
		in.ExpressionAttributeValues = values(map[string]any{":prev": prev})
	}
	_, err = st.db.PutItem(ctx, in)
	if isConditionFailed(err) {
		return ErrConflict
	}
	if err != nil {
		return fmt.Errorf("put hosted profile: %w", err)
	}
	return nil
}

// HostedProfilePage returns page pageNo (from 1) of the users that have a hosted profile, by
// registration time and then userId (newestFirst: exactly the reverse), from the sharded index.
func (st *Store) HostedProfilePage(ctx context.Context, app string, pageNo, pageSize int, newestFirst bool) ([]string, error) {
	keys, err := st.shardedPage(ctx, shardIndex{IndexHostedProfiles, "GSI1PK", "GSI1SK",
		func(shard int) string { return hostedIndexPK(app, shard) }}, "", pageNo, pageSize, newestFirst)
	if err != nil {
		return nil, fmt.Errorf("list hosted profiles: %w", err)
	}
	users := make([]string, len(keys))
	for i, k := range keys {
		_, users[i], _ = strings.Cut(k, "#")
	}
	return users, nil
}

// tagItem holds a user's tags, in the order they were set.
type tagItem struct {
	PK   string   `dynamodbav:"PK"`
	SK   string   `dynamodbav:"SK"`
	Tags []string `dynamodbav:"tags"`
}

func tagKey(app, user string) itemKey { return key(userPK(app, user), skTags) }

// SetTags replaces each user's tags with tags (none: the item goes), 25 users to a
// BatchWriteItem; writing the same again changes nothing, so a retry is safe.
func (st *Store) SetTags(ctx context.Context, app string, users, tags []string) error {
	reqs := make([]types.WriteRequest, 0, len(users))
	for _, u := range users {
		if len(tags) == 0 {
			reqs = append(reqs, deleteRequest(tagKey(app, u)))
			continue
		}
		req, err := putRequest(tagItem{PK: userPK(app, u), SK: skTags, Tags: tags})
		if err != nil {
			return err
		}
		reqs = append(reqs, req)
	}
	if err := st.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("set tags: %w", err)
	}
	return nil
}

// Tags reads the users' tags, 100 to a BatchGetItem; users without tags are absent.
func (st *Store) Tags(ctx context.Context, app string, users []string) (map[string][]string, error) {
	keys := make([]itemKey, len(users))
	for i, u := range users {
		keys[i] = tagKey(app, u)
	}
	items, err := st.batchGet(ctx, keys, Strong)
	if err != nil {
		return nil, fmt.Errorf("read tags: %w", err)
	}
	out := make(map[string][]string, len(items))
	for _, it := range items {
		t, err := unmarshal[tagItem](it)
		if err != nil {
			return nil, err
		}
		out[ownerOf(t.PK)] = t.Tags
	}
	return out, nil
}
