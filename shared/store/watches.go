package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ConnWatch is a connection announced to the App Server as opened, watched until it is found
// gone: due is when to look at it next (when it could first have lapsed).
type ConnWatch struct {
	App      string `dynamodbav:"app"`
	User     string `dynamodbav:"user"`
	Conn     string `dynamodbav:"conn"`
	ClientIP string `dynamodbav:"clientIp"`
	Due      int64  `dynamodbav:"due"`
}

// watchKept is how long a watch outlives the longest connection, should no schedule run
// remove it (DynamoDB's TTL deletes it then).
const watchKept = ConnectionMaxAge + 24*time.Hour

type watchItem struct {
	itemKey
	ConnWatch
	ExpiresAt int64 `dynamodbav:"expiresAt"` // AttrTTL
}

func watchKey(w ConnWatch) itemKey { return connWatchKey(shardOf(w.Conn), w.Due, w.App, w.Conn) }

func watchPut(w ConnWatch, now time.Time) (types.WriteRequest, error) {
	return putRequest(watchItem{itemKey: watchKey(w), ConnWatch: w, ExpiresAt: now.Add(watchKept).Unix()})
}

// PutConnWatch starts watching a connection, in one write; a repeated put is harmless.
func (st *Store) PutConnWatch(ctx context.Context, w ConnWatch, now time.Time) error {
	put, err := watchPut(w, now)
	if err == nil {
		_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: put.PutRequest.Item})
	}
	if err != nil {
		return fmt.Errorf("watch connection: %w", err)
	}
	return nil
}

// DueConnWatches lists the watches due at now, up to limit per shard: one query per shard.
func (st *Store) DueConnWatches(ctx context.Context, now time.Time, limit int32) ([]ConnWatch, error) {
	var out []ConnWatch
	for shard := range webhookShards {
		items, err := st.dueItems(ctx, connWatchPK(shard), now, limit)
		if err != nil {
			return nil, fmt.Errorf("due connection watches: %w", err)
		}
		for _, it := range items {
			w, err := unmarshal[watchItem](it)
			if err != nil {
				return nil, err
			}
			out = append(out, w.ConnWatch)
		}
	}
	return out, nil
}

// UpdateConnWatches ends the watches done and moves those re-armed to their new due times
// (old: as they were read; next: their new due, same order; a zero due ends the watch), in
// batch writes of 25.
func (st *Store) UpdateConnWatches(ctx context.Context, old []ConnWatch, next []int64, now time.Time) error {
	var reqs []types.WriteRequest
	for i, w := range old {
		if next[i] == w.Due {
			continue
		}
		if next[i] != 0 {
			moved := w
			moved.Due = next[i]
			put, err := watchPut(moved, now)
			if err != nil {
				return err
			}
			reqs = append(reqs, put)
		}
		reqs = append(reqs, deleteRequest(watchKey(w)))
	}
	if err := st.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("update connection watches: %w", err)
	}
	return nil
}
