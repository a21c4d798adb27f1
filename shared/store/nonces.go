package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"imusers/shared/dynamo"
)

// A served request's nonce is an item of its own (IM_NONCE_REPLAY_PROTECTION): one conditional
// put both checks and records it, and its TTL lets DynamoDB drop it once the request's timestamp
// could no longer pass the signature window anyway.
const (
	skNonce        = "#NONCE"
	attrNonceUntil = "until" // ms; the nonce is remembered while now < until
	attrNonceOwner = "owner"
)

func nonceKey(app, nonce string) item { return key("A#"+app+"#NONCE#"+nonce, skNonce) }

// UseNonce records that one request of app used nonce, until until. It reports false when
// another request used the nonce and its record has not lapsed: a replay. owner names this
// request, so that the SDK repeating the same put after a lost answer is not taken for a replay.
// A lapsed record that DynamoDB has not deleted yet counts as absent.
func (st *Store) UseNonce(ctx context.Context, app, nonce, owner string, now, until time.Time) (bool, error) {
	it := nonceKey(app, nonce)
	it[attrNonceUntil] = n(until.UnixMilli())
	it[attrNonceOwner] = s(owner)
	it[AttrTTL] = n(until.Unix() + 1)
	_, err := st.db.PutItem(ctx, &dynamo.PutItemInput{
		TableName:                aws.String(st.table),
		Item:                     it,
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR #until <= :now OR #owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#until": attrNonceUntil, "#owner": attrNonceOwner},
		ExpressionAttributeValues: item{
			":now": n(now.UnixMilli()), ":owner": s(owner),
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record nonce: %w", err)
	}
	return true, nil
}
