package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// A served request's nonce is an item of its own (IM_NONCE_REPLAY_PROTECTION): one conditional
// put both checks and records it, and its TTL lets DynamoDB drop it once the request's timestamp
// could no longer pass the signature window anyway.
const skNonce = "#NONCE"

func nonceKey(app, nonce string) itemKey { return key("A#"+app+"#NONCE#"+nonce, skNonce) }

// nonceItem records one request's use of a nonce.
type nonceItem struct {
	itemKey
	Until     int64  `dynamodbav:"until"` // ms; the nonce is remembered while now < until
	Owner     string `dynamodbav:"owner"`
	ExpiresAt int64  `dynamodbav:"expiresAt"` // AttrTTL
}

// UseNonce records that one request of app used nonce, until until. It reports false when
// another request used the nonce and its record has not lapsed: a replay. owner names this
// request, so that the SDK repeating the same put after a lost answer is not taken for a replay.
// A lapsed record that DynamoDB has not deleted yet counts as absent.
func (st *Store) UseNonce(ctx context.Context, app, nonce, owner string, now, until time.Time) (bool, error) {
	it, err := attributevalue.MarshalMap(nonceItem{
		itemKey: nonceKey(app, nonce), Until: until.UnixMilli(), Owner: owner, ExpiresAt: until.Unix() + 1,
	})
	if err != nil {
		return false, fmt.Errorf("record nonce: %w", err)
	}
	// Absent, lapsed, or this request's own.
	free := expression.AttributeNotExists(expression.Name(AttrPK)).
		Or(expression.Name("until").LessThanEqual(expression.Value(now.UnixMilli()))).
		Or(expression.Name("owner").Equal(expression.Value(owner)))
	cond, err := expression.NewBuilder().WithCondition(free).Build()
	if err != nil {
		return false, fmt.Errorf("record nonce: %w", err)
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(st.table),
		Item:                      it,
		ConditionExpression:       cond.Condition(),
		ExpressionAttributeNames:  cond.Names(),
		ExpressionAttributeValues: cond.Values(),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record nonce: %w", err)
	}
	return true, nil
}
