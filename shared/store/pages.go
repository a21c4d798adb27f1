package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Listings paged by number over sharded indexes (the contract has pageNo, not page tokens):
// page N would have to read N pages of every shard to know where it begins. Instead each full
// page leaves a bookmark, the last sort key it answered, and page N+1 continues every shard
// after it: a bounded read at any depth for a caller that pages through in order. A page asked
// without the bookmark before it (a jump, or one that lapsed) reads each shard from its start,
// as far as the page reaches, and leaves its own.

// BookmarkLife is how long a bookmark is used. Within it, a page continues after the
// bookmark's key, so a user that left an earlier page (reactivated, unbanned) does not shift
// later ones, and nothing is skipped or repeated for a caller paging through.
const BookmarkLife = 10 * time.Minute

// shardIndex names the sharded index partitions of one listing.
type shardIndex struct {
	index, pkAttr, skAttr string
	pk                    func(shard int) string
}

type bookmarkItem struct {
	itemKey
	Last      string `dynamodbav:"last"`
	ExpiresAt int64  `dynamodbav:"expiresAt"` // AttrTTL
}

// numberedPage returns page pageNo of the listing's sort keys after `after` (when set), in key
// order (reversed when descending): from the previous page's bookmark when there is one (one
// GetItem, then each shard read as far as one page), else as shardedPage does. A full page
// leaves its bookmark (one PutItem).
func (st *Store) numberedPage(ctx context.Context, app, listing string, ix shardIndex, after string, pageNo, pageSize int, descending bool) ([]string, error) {
	now := st.now()
	from := ""
	if pageNo > 1 {
		res, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(st.table), Key: bookmarkKey(app, listing, descending, pageSize, pageNo-1).av(),
		})
		if err != nil {
			return nil, fmt.Errorf("read page bookmark: %w", err)
		}
		if res.Item != nil {
			b, err := unmarshal[bookmarkItem](res.Item)
			if err != nil {
				return nil, err
			}
			if b.ExpiresAt > now.Unix() { // DynamoDB deletes lapsed items late
				from = b.Last
			}
		}
	}
	var keys []string
	var err error
	if from == "" {
		keys, err = st.shardedPage(ctx, ix, after, pageNo, pageSize, descending)
	} else {
		keys, err = st.pageAfter(ctx, ix, after, from, pageSize, descending)
	}
	if err != nil || len(keys) < pageSize {
		return keys, err
	}
	it, err := attributevalue.MarshalMap(bookmarkItem{
		itemKey: bookmarkKey(app, listing, descending, pageSize, pageNo), Last: keys[len(keys)-1],
		ExpiresAt: now.Add(BookmarkLife).Unix(),
	})
	if err == nil {
		_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: it})
	}
	if err != nil {
		return nil, fmt.Errorf("keep page bookmark: %w", err)
	}
	return keys, nil
}

// shardedPage returns page pageNo of the listing's sort keys, only keys after `after` when it
// is set, in key order (reversed when descending): it reads each shard as far as the page
// reaches, from that end, the shards side by side, and merges them.
func (st *Store) shardedPage(ctx context.Context, ix shardIndex, after string, pageNo, pageSize int, descending bool) ([]string, error) {
	reach := pageNo * pageSize
	byShard := make([][]string, IndexShards)
	err := each(ctx, IndexShards, func(ctx context.Context, shard int) error {
		keys, err := st.shardRange(ctx, ix, ix.pk(shard), after, "", reach, descending)
		byShard[shard] = keys
		return err
	})
	if err != nil {
		return nil, err
	}
	keys := merged(byShard, descending)
	from := min((pageNo-1)*pageSize, len(keys))
	return keys[from:min(from+pageSize, len(keys))], nil
}

// pageAfter reads one page of keys beyond from (after it ascending, before it descending),
// and after `after` when set: each shard as far as one page, side by side, merged.
func (st *Store) pageAfter(ctx context.Context, ix shardIndex, after, from string, pageSize int, descending bool) ([]string, error) {
	lower, upper := after, ""
	if descending {
		upper = from
	} else {
		lower = max(after, from)
	}
	byShard := make([][]string, IndexShards)
	err := each(ctx, IndexShards, func(ctx context.Context, shard int) error {
		keys, err := st.shardRange(ctx, ix, ix.pk(shard), lower, upper, pageSize, descending)
		byShard[shard] = keys
		return err
	})
	if err != nil {
		return nil, err
	}
	keys := merged(byShard, descending)
	return keys[:min(pageSize, len(keys))], nil
}

// merged is the keys of every shard in one order: ascending, or descending.
func merged(byShard [][]string, descending bool) []string {
	keys := slices.Concat(byShard...)
	slices.Sort(keys)
	if descending {
		slices.Reverse(keys)
	}
	return keys
}

// shardRange reads up to limit sort keys of one index partition strictly between lower and
// upper ("" leaves a side open), from the lower end (the upper, when descending).
func (st *Store) shardRange(ctx context.Context, ix shardIndex, pk, lower, upper string, limit int, descending bool) ([]string, error) {
	cond := ix.pkAttr + " = :pk"
	vals := map[string]any{":pk": pk}
	extra := 0 // BETWEEN takes both ends: one more item read covers an end let in
	switch {
	case lower != "" && upper != "":
		// BETWEEN takes both ends; the ends themselves are dropped below.
		cond += " AND " + ix.skAttr + " BETWEEN :lower AND :upper"
		vals[":lower"], vals[":upper"] = lower, upper
		extra = 1
	case lower != "":
		cond += " AND " + ix.skAttr + " > :lower"
		vals[":lower"] = lower
	case upper != "":
		cond += " AND " + ix.skAttr + " < :upper"
		vals[":upper"] = upper
	}
	var keys []string
	var start item
	for len(keys) < limit {
		res, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(st.table),
			IndexName:                 aws.String(ix.index),
			KeyConditionExpression:    aws.String(cond),
			ExpressionAttributeValues: values(vals),
			ProjectionExpression:      aws.String(ix.skAttr),
			ScanIndexForward:          aws.Bool(!descending),
			Limit:                     aws.Int32(int32(min(limit-len(keys)+extra, 1000))),
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, err
		}
		var page []map[string]string // the index's sort key alone
		if err := attributevalue.UnmarshalListOfMaps(res.Items, &page); err != nil {
			return nil, fmt.Errorf("read index keys: %w", err)
		}
		for _, it := range page {
			if k := it[ix.skAttr]; k != lower && k != upper && len(keys) < limit {
				keys = append(keys, k)
			}
		}
		if start = res.LastEvaluatedKey; start == nil {
			break
		}
	}
	return keys, nil
}
