package store

import (
	"context"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A mute (the user may not send direct messages from its client) is its own item beside the
// profile, without an end: muting is a blind batch put, unmuting a blind batch delete, and the
// direct-message check reads it as one more exact key of its batched read. Erasure keeps it
// (see skMute); deleting a development user removes it (DeleteUsers).

func muteKey(app, user string) itemKey { return key(userPK(app, user), skMute) }

// muteItem is a mute as stored, listed in the muted users' index by userId.
type muteItem struct {
	itemKey
	IndexPK string `dynamodbav:"GSI1PK"`
	IndexSK string `dynamodbav:"GSI1SK"`
}

// PutMutes mutes users in direct chats, in one BatchWriteItem per 25 users; muting a muted
// user writes the same item again.
func (st *Store) PutMutes(ctx context.Context, app string, users []string) error {
	reqs := make([]types.WriteRequest, len(users))
	for i, u := range users {
		req, err := putRequest(muteItem{itemKey: muteKey(app, u), IndexPK: muteIndexPK(app, shardOf(u)), IndexSK: u})
		if err != nil {
			return err
		}
		reqs[i] = req
	}
	return st.batchWrite(ctx, reqs)
}

// DeleteMutes unmutes users, in one BatchWriteItem per 25 users.
func (st *Store) DeleteMutes(ctx context.Context, app string, users []string) error {
	return st.deleteEach(ctx, app, users, muteKey)
}

// ListMuted returns every muted user of app, sorted by userId (byte order), reading each index
// shard whole: one Query per shard and per 1,000 muted users in it.
func (st *Store) ListMuted(ctx context.Context, app string) ([]string, error) {
	ids, err := st.shardedPage(ctx, shardIndex{IndexMuted, "GSI1PK", "GSI1SK",
		func(shard int) string { return muteIndexPK(app, shard) }}, "", 1, math.MaxInt32, false)
	if err != nil {
		return nil, fmt.Errorf("list muted: %w", err)
	}
	return ids, nil
}
