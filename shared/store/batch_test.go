package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
	"imusers/shared/testenv"
)

// partial passes batches to dynalite only in part, handing the rest back unprocessed, as
// DynamoDB does when a batch meets its size or throughput limits.
type partial struct {
	store.DB
	left atomic.Int64 // keys and items handed back so far
}

func (p *partial) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	sent, back := map[string]types.KeysAndAttributes{}, map[string]types.KeysAndAttributes{}
	for table, ka := range in.RequestItems {
		half := (len(ka.Keys) + 1) / 2
		sent[table] = types.KeysAndAttributes{Keys: ka.Keys[:half], ConsistentRead: ka.ConsistentRead}
		if rest := ka.Keys[half:]; len(rest) > 0 {
			back[table] = types.KeysAndAttributes{Keys: rest, ConsistentRead: ka.ConsistentRead}
			p.left.Add(int64(len(rest)))
		}
	}
	out, err := p.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: sent}, optFns...)
	if err != nil {
		return nil, err
	}
	out.UnprocessedKeys = back
	return out, nil
}

func (p *partial) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	sent, back := map[string][]types.WriteRequest{}, map[string][]types.WriteRequest{}
	for table, reqs := range in.RequestItems {
		half := (len(reqs) + 1) / 2
		sent[table] = reqs[:half]
		if rest := reqs[half:]; len(rest) > 0 {
			back[table] = rest
			p.left.Add(int64(len(rest)))
		}
	}
	out, err := p.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: sent}, optFns...)
	if err != nil {
		return nil, err
	}
	out.UnprocessedItems = back
	return out, nil
}

// Keys and items DynamoDB leaves unprocessed are sent again until every one is done: nothing is
// lost and nothing is read twice.
func TestBatchesRetryWhatDynamoDBLeftUnprocessed(t *testing.T) {
	p := &partial{DB: testenv.Client(t)}
	calls := &store.Counter{DB: p}
	st := store.New(calls, testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	var users []string
	for i := range 30 {
		users = append(users, fmt.Sprintf("user%02d", i))
	}
	until := time.Now().Add(time.Hour).UnixMilli()
	if err := st.PutBans(ctx, "app", users, until); err != nil {
		t.Fatal(err)
	}
	// 25 items: 13 sent and 12 handed back, then 6 and 6, 3 and 3, 2 and 1, 1; 5 items: 3 and
	// 2, then 1 and 1, 1.
	if c := calls.Calls().BatchWriteItem; c != 8 || p.left.Load() != 12+6+3+1+2+1 {
		t.Errorf("30 bans took %d BatchWriteItem calls, %d items handed back; want 8 and 25", c, p.left.Load())
	}
	banned, err := st.ListBanned(ctx, "app", time.Now().UnixMilli(), 1, 100, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(banned) != len(users) {
		t.Fatalf("%d of %d bans landed", len(banned), len(users))
	}

	for _, u := range users {
		if _, err := st.Register(ctx, "app", u, "Name "+u, "", 1, false); err != nil {
			t.Fatal(err)
		}
	}
	calls.Reset()
	p.left.Store(0)
	got, err := st.GetUsers(ctx, "app", append(users, "nobody"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(users) || got["user07"] == nil || got["user07"].Name != "Name user07" {
		t.Fatalf("read %d of %d users: %v", len(got), len(users), got["user07"])
	}
	// 31 keys: 16 read and 15 handed back, then 8 and 7, 4 and 3, 2 and 1, 1.
	if c := calls.Calls().BatchGetItem; c != 5 || p.left.Load() != 15+7+3+1 {
		t.Errorf("31 keys took %d BatchGetItem calls, %d keys handed back; want 5 and 26", c, p.left.Load())
	}
}

// A write whose condition is false is told apart from any other failure, through the SDK's
// error against dynalite.
func TestConditionFailureIsToldApart(t *testing.T) {
	db := testenv.Client(t)
	table := testenv.NewTable(t, db)
	ctx := context.Background()
	key := map[string]types.AttributeValue{
		store.AttrPK: &types.AttributeValueMemberS{Value: "A#app#U#x"}, store.AttrSK: &types.AttributeValueMemberS{Value: "#PROFILE"},
	}
	_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(table), Key: key, ConditionExpression: aws.String("attribute_exists(PK)"),
	})
	if err == nil || !store.IsConditionFailed(err) {
		t.Fatalf("delete of a missing item under attribute_exists: %v, want a failed condition", err)
	}
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("no-such-table"), Key: key})
	if err == nil || store.IsConditionFailed(err) {
		t.Fatalf("delete from a missing table: %v, want an error that is not a failed condition", err)
	}
	// Wrapped, as the store's errors are, it is still found.
	if !store.IsConditionFailed(fmt.Errorf("reserve: %w", &types.ConditionalCheckFailedException{})) || store.IsConditionFailed(errors.New("other")) {
		t.Fatal("a wrapped failed condition must be found, and only it")
	}
}

// inFlight counts the batch calls out at once, each held a little so that calls that can
// overlap do.
type inFlight struct {
	store.DB
	now, peak atomic.Int64
}

func (f *inFlight) enter() {
	n := f.now.Add(1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	time.Sleep(20 * time.Millisecond)
}

func (f *inFlight) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.enter()
	defer f.now.Add(-1)
	return f.DB.BatchGetItem(ctx, in, optFns...)
}

func (f *inFlight) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	f.enter()
	defer f.now.Add(-1)
	return f.DB.BatchWriteItem(ctx, in, optFns...)
}

// A batch larger than one call runs its calls side by side, ten at most, and still reads and
// writes every item once.
func TestBatchCallsRunSideBySideBounded(t *testing.T) {
	f := &inFlight{DB: testenv.Client(t)}
	calls := &store.Counter{DB: f}
	st := store.New(calls, testenv.NewTable(t, testenv.Client(t)))
	ctx := context.Background()
	var users []string
	for i := range 500 {
		users = append(users, fmt.Sprintf("user%03d", i))
	}
	if err := st.PutBans(ctx, "app", users, time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if c, p := calls.Calls().BatchWriteItem, f.peak.Load(); c != 20 || p < 2 || p > 10 {
		t.Errorf("500 bans: %d BatchWriteItem calls, at most %d at once; want 20 calls, 2 to 10 at once", c, p)
	}
	banned, err := st.ListBanned(ctx, "app", time.Now().UnixMilli(), 1, 1000, false)
	if err != nil || len(banned) != len(users) {
		t.Fatalf("%d of %d bans landed (%v)", len(banned), len(users), err)
	}

	for _, u := range users[:300] {
		if _, err := st.Register(ctx, "app", u, "Name "+u, "", 1, false); err != nil {
			t.Fatal(err)
		}
	}
	calls.Reset()
	f.peak.Store(0)
	got, err := st.GetUsers(ctx, "app", users)
	if err != nil {
		t.Fatal(err)
	}
	if c, p := calls.Calls().BatchGetItem, f.peak.Load(); len(got) != 300 || c != 5 || p < 2 || p > 5 {
		t.Errorf("500 keys: %d users read in %d BatchGetItem calls, at most %d at once; want 300 in 5, side by side", len(got), c, p)
	}
}
