package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// WebhookDelivery is a webhook event kept between attempts: waiting for its next one, or, in
// the dead-letter store, after the last.
type WebhookDelivery struct {
	App      string `dynamodbav:"app"`
	ID       string `dynamodbav:"id"`
	Event    string `dynamodbav:"event"`    // the event as JSON, as the delivery function takes it
	Attempts int    `dynamodbav:"attempts"` // made so far
	First    int64  `dynamodbav:"first"`    // ms of the first attempt
	Due      int64  `dynamodbav:"due"`      // ms of the next attempt (pending only)
	Status   int    `dynamodbav:"status"`   // the last answer's HTTP status, 0 for none
}

// DeadLetterKept is how long DynamoDB keeps a dead-lettered event (by TTL).
const DeadLetterKept = 14 * 24 * time.Hour

type webhookItem struct {
	itemKey
	WebhookDelivery
	ExpiresAt int64 `dynamodbav:"expiresAt,omitempty"` // AttrTTL
}

func (st *Store) putWebhook(ctx context.Context, k itemKey, d WebhookDelivery, expires int64) error {
	it, err := attributevalue.MarshalMap(webhookItem{itemKey: k, WebhookDelivery: d, ExpiresAt: expires})
	if err == nil {
		_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.table), Item: it})
	}
	if err != nil {
		return fmt.Errorf("keep webhook event %s: %w", d.ID, err)
	}
	return nil
}

// pendingKey places a waiting event by its id, so all of an app's events spread over the shards.
func pendingKey(d WebhookDelivery) itemKey { return webhookPendingKey(shardOf(d.ID), d.Due, d.ID) }

// PutWebhookPending keeps an event until its next attempt, d.Due.
func (st *Store) PutWebhookPending(ctx context.Context, d WebhookDelivery) error {
	return st.putWebhook(ctx, pendingKey(d), d, 0)
}

// PutWebhooksPending keeps many events until their next attempts, in batched writes: what a
// call raised when handing it to the delivery function failed.
func (st *Store) PutWebhooksPending(ctx context.Context, ds []WebhookDelivery) error {
	reqs := make([]types.WriteRequest, 0, len(ds))
	for _, d := range ds {
		req, err := putRequest(webhookItem{itemKey: pendingKey(d), WebhookDelivery: d})
		if err != nil {
			return fmt.Errorf("keep webhook event %s: %w", d.ID, err)
		}
		reqs = append(reqs, req)
	}
	return st.batchWrite(ctx, reqs)
}

// DeleteWebhookPending forgets a waiting event (its attempt was made).
func (st *Store) DeleteWebhookPending(ctx context.Context, d WebhookDelivery) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(st.table), Key: pendingKey(d).av()})
	if err != nil {
		return fmt.Errorf("forget webhook event %s: %w", d.ID, err)
	}
	return nil
}

// dueItems reads up to limit items of a partition of work kept by when it is due (sort keys
// that start with the due time in ms, 13 digits) that are due at now, soonest first, strongly
// consistent: what the schedules' runs find to do.
func (st *Store) dueItems(ctx context.Context, pk string, now time.Time, limit int32) ([]item, error) {
	res, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		KeyConditionExpression:    aws.String("#pk = :pk AND #sk <= :due"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#sk": AttrSK},
		ExpressionAttributeValues: values(map[string]any{":pk": pk, ":due": fmt.Sprintf("%013d$", now.UnixMilli())}),
		Limit:                     aws.Int32(limit),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

// DueWebhooks lists the events whose next attempt is due at now, up to limit per shard.
func (st *Store) DueWebhooks(ctx context.Context, now time.Time, limit int32) ([]WebhookDelivery, error) {
	var out []WebhookDelivery
	for shard := range webhookShards {
		items, err := st.dueItems(ctx, webhookPendingPK(shard), now, limit)
		if err != nil {
			return nil, fmt.Errorf("due webhook events: %w", err)
		}
		ds, err := deliveries(items)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

func deliveries(items []map[string]types.AttributeValue) ([]WebhookDelivery, error) {
	out := make([]WebhookDelivery, 0, len(items))
	for _, it := range items {
		w, err := unmarshal[webhookItem](it)
		if err != nil {
			return nil, err
		}
		out = append(out, w.WebhookDelivery)
	}
	return out, nil
}

// PutWebhookDead keeps an event that will not be tried again, for DeadLetterKept.
func (st *Store) PutWebhookDead(ctx context.Context, d WebhookDelivery, now time.Time) error {
	d.Due = 0
	return st.putWebhook(ctx, webhookDeadKey(d.App, d.ID), d, now.Add(DeadLetterKept).Unix())
}

// DeadWebhooks lists an app's dead-lettered events kept until now, up to limit.
func (st *Store) DeadWebhooks(ctx context.Context, app string, now time.Time, limit int32) ([]WebhookDelivery, error) {
	res, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(st.table),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		FilterExpression:          aws.String("#ttl > :now"), // lapsed but not yet deleted by TTL
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK, "#ttl": AttrTTL},
		ExpressionAttributeValues: values(map[string]any{":pk": webhookDeadPK(app), ":now": now.Unix()}),
		Limit:                     aws.Int32(limit),
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("dead webhook events: %w", err)
	}
	return deliveries(res.Items)
}

// RequeueDead moves dead-lettered events back among those waiting for an attempt, each due at
// its Due: a put and a delete per event, in batch writes of 25. A repeated move is harmless.
func (st *Store) RequeueDead(ctx context.Context, ds []WebhookDelivery) error {
	reqs := make([]types.WriteRequest, 0, 2*len(ds))
	for _, d := range ds {
		put, err := putRequest(webhookItem{itemKey: pendingKey(d), WebhookDelivery: d})
		if err != nil {
			return err
		}
		reqs = append(reqs, put, deleteRequest(webhookDeadKey(d.App, d.ID)))
	}
	if err := st.batchWrite(ctx, reqs); err != nil {
		return fmt.Errorf("requeue dead webhook events: %w", err)
	}
	return nil
}

// The settings item's attributes that count an app's failed deliveries in a row.
const (
	attrWebhookFailures    = "webhookFailures"
	attrWebhookLastFailure = "webhookLastFailure"
)

// WebhookFailed counts one more failed delivery of app's, at now, in one write to its
// settings item.
func (st *Store) WebhookFailed(ctx context.Context, app string, now time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.table),
		Key:                       settingsKey(app).av(),
		UpdateExpression:          aws.String("ADD #n :one SET #at = :now"),
		ExpressionAttributeNames:  map[string]string{"#n": attrWebhookFailures, "#at": attrWebhookLastFailure},
		ExpressionAttributeValues: values(map[string]any{":one": 1, ":now": now.UnixMilli()}),
	})
	if err != nil {
		return fmt.Errorf("count a failed webhook delivery: %w", err)
	}
	return nil
}

// WebhookSucceeded starts app's count of failed deliveries over, in one write.
func (st *Store) WebhookSucceeded(ctx context.Context, app string) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(st.table),
		Key:                      settingsKey(app).av(),
		UpdateExpression:         aws.String("REMOVE #n, #at"),
		ExpressionAttributeNames: map[string]string{"#n": attrWebhookFailures, "#at": attrWebhookLastFailure},
	})
	if err != nil {
		return fmt.Errorf("reset the failed webhook deliveries: %w", err)
	}
	return nil
}
