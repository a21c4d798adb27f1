package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SeedRelated writes n placeholder items under a user's partition, as many related items
// (entries, connections) would be. Tests and benchmarks use it to give erasure real volume.
func (st *Store) SeedRelated(ctx context.Context, app, user string, n int) error {
	type seedItem struct {
		itemKey
		Payload string `dynamodbav:"payload"`
	}
	reqs := make([]types.WriteRequest, n)
	for i := range reqs {
		req, err := putRequest(seedItem{key(userPK(app, user), fmt.Sprintf("SEED#%06d", i)), "placeholder"})
		if err != nil {
			return err
		}
		reqs[i] = req
	}
	return st.batchWrite(ctx, reqs)
}

// SeedFriends makes owner friends with each of friends, on both sides, as settled friendships
// leave the table (entries and counters, no marks), without the list protocol's calls per
// friendship. Tests and benchmarks use it to give friend calls real volume; the users
// themselves are not created.
func (st *Store) SeedFriends(ctx context.Context, app, owner string, friends []string, now int64) error {
	type counterSeed struct {
		itemKey
		Total  int64  `dynamodbav:"total"`
		ListPK string `dynamodbav:"GSI2PK"`
		ListSK string `dynamodbav:"GSI2SK"`
		AscPK  string `dynamodbav:"GSI3PK"`
		AscSK  string `dynamodbav:"GSI3SK"`
	}
	counterOf := func(user string, n int) counterSeed {
		lpk := listPK(app, user, Friends)
		return counterSeed{key(userPK(app, user), counterSK(Friends)), int64(n), lpk, counterTail, lpk, counterHead}
	}
	var reqs []types.WriteRequest
	add := func(v any) error {
		req, err := putRequest(v)
		reqs = append(reqs, req)
		return err
	}
	if err := add(counterOf(owner, len(friends))); err != nil {
		return err
	}
	for _, f := range friends {
		for _, e := range []entryItem{
			newEntry(app, change{owner: owner, kind: Friends, target: f, present: true}, now, nil),
			newEntry(app, change{owner: f, kind: Friends, target: owner, present: true}, now, nil),
		} {
			if err := add(e); err != nil {
				return err
			}
		}
		if err := add(counterOf(f, 1)); err != nil {
			return err
		}
	}
	return st.batchWrite(ctx, reqs)
}
