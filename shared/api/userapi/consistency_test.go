package userapi_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
	"imusers/shared/testenv"
)

// presenceReads notes how each read of presence items was asked: strongly consistent or not.
type presenceReads struct {
	store.DB
	mu     sync.Mutex
	strong []bool
}

func (p *presenceReads) note(keys []map[string]types.AttributeValue, consistent *bool) {
	for _, k := range keys {
		// "PRESENCE" is the sort key of a user's presence item (schema.go).
		if sk, ok := k[store.AttrSK].(*types.AttributeValueMemberS); ok && sk.Value == "PRESENCE" {
			p.mu.Lock()
			p.strong = append(p.strong, aws.ToBool(consistent))
			p.mu.Unlock()
			return
		}
	}
}

func (p *presenceReads) take() []bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.strong
	p.strong = nil
	return out
}

func (p *presenceReads) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	p.note([]map[string]types.AttributeValue{in.Key}, in.ConsistentRead)
	return p.DB.GetItem(ctx, in, optFns...)
}

func (p *presenceReads) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	for _, ka := range in.RequestItems {
		p.note(ka.Keys, ka.ConsistentRead)
	}
	return p.DB.BatchGetItem(ctx, in, optFns...)
}

// Online checks and the user summary are snapshots and read eventually consistent (half the read units); the kick
// after a block must see a connect recorded just before it, and reads strongly.
func TestOnlineChecksReadEventuallyAndKicksStrongly(t *testing.T) {
	db := &presenceReads{DB: testenv.Client(t)}
	s := testenv.StartStackWith(t, testenv.Options{DB: db})
	c := s.Client(0)
	register(t, c, "alice", "Alice")
	for _, tc := range []struct {
		path   string
		body   any
		strong bool
	}{
		{"/user/checkOnline.json", form("userId", "alice"), false},
		{"/user/checkOnline/batch.json", form("userId", "alice,bob"), false},
		{"/user/summary.json", form("userId", "alice"), false}, // a display, as the online checks
		{"/user/block.json", form("userId", "alice", "minute", "1"), true},
	} {
		db.take()
		c.MustOK(t, tc.path, tc.body)
		got := db.take()
		if len(got) != 1 || got[0] != tc.strong {
			t.Errorf("%s: presence reads strongly consistent %v, want [%v]", tc.path, got, tc.strong)
		}
	}
}
