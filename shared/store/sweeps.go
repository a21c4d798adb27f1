package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// PendingSweep is an erasure waiting for its final sweep: the job, as the erasure function
// takes it, and when the sweep is due. Keeping it in the table rather than in a waiting
// function instance is what lets a deactivation cost no instance while writes settle.
type PendingSweep struct {
	ID  string `dynamodbav:"id"`  // tells apart jobs due in the same millisecond
	Job string `dynamodbav:"job"` // JSON
	Due int64  `dynamodbav:"due"` // ms
}

// SweepID names the sweep of one job's users: the same job recorded again (a retried
// invocation) lands on the same item.
func SweepID(app, operateID string, users []string) string {
	h := fnv.New64a()
	h.Write([]byte(app))
	for _, u := range users {
		h.Write([]byte{0})
		h.Write([]byte(u))
	}
	return fmt.Sprintf("%s#%016x", operateID, h.Sum64())
}

type sweepItem struct {
	itemKey
	PendingSweep
}

// PutSweep records a sweep due at s.Due.
func (st *Store) PutSweep(ctx context.Context, s PendingSweep) error {
	it, err := attributevalue.MarshalMap(sweepItem{itemKey: sweepKey(s), PendingSweep: s})
	if err == nil {
		_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: it})
	}
	if err != nil {
		return fmt.Errorf("record final sweep %s: %w", s.ID, err)
	}
	return nil
}

// DueSweeps lists up to limit sweeps of one shard due at now, soonest first.
func (st *Store) DueSweeps(ctx context.Context, shard int, now time.Time, limit int32) ([]PendingSweep, error) {
	items, err := st.dueItems(ctx, sweepPK(shard), now, limit)
	if err != nil {
		return nil, fmt.Errorf("due final sweeps: %w", err)
	}
	out := make([]PendingSweep, 0, len(items))
	for _, it := range items {
		s, err := unmarshal[sweepItem](it)
		if err != nil {
			return nil, err
		}
		out = append(out, s.PendingSweep)
	}
	return out, nil
}

// DeleteSweep forgets a sweep that has been handed to the erasure function.
func (st *Store) DeleteSweep(ctx context.Context, s PendingSweep) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(st.table), Key: sweepKey(s).av()})
	if err != nil {
		return fmt.Errorf("forget final sweep %s: %w", s.ID, err)
	}
	return nil
}
