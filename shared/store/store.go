package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/parallel"
)

// DB is the part of the SDK's DynamoDB client the store uses. *dynamodb.Client satisfies it;
// tests wrap it to count calls or inject faults.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// Errors the store reports; everything else is a dependency failure.
var (
	ErrNotFound    = errors.New("not found")
	ErrDeactivated = errors.New("deactivated")
	ErrCapReached  = errors.New("development user cap reached")
)

// Store reads and writes the service's records in one table.
type Store struct {
	db    DB
	table string
	// now dates the marks of list changes; patience bounds a list change's wait for others'
	// (tests shorten both).
	now      func() time.Time
	patience time.Duration
}

// New returns a store over table.
func New(db DB, table string) *Store {
	return &Store{db: db, table: table, now: time.Now, patience: patience}
}

// Table is the table's name.
func (s *Store) Table() string { return s.table }

// Counter wraps a DB and counts the calls made through it, per operation: the budgets of
// design.md are checked with it.
type Counter struct {
	DB
	gets, puts, updates, deletes, queries, batchGets, batchWrites atomic.Int64
}

// Calls is a snapshot of a Counter.
type Calls struct {
	GetItem, PutItem, UpdateItem, DeleteItem, Query, BatchGetItem, BatchWriteItem int64
}

// Total is the number of round trips.
func (c Calls) Total() int64 {
	return c.GetItem + c.PutItem + c.UpdateItem + c.DeleteItem + c.Query + c.BatchGetItem + c.BatchWriteItem
}

// Calls returns the counts so far.
func (c *Counter) Calls() Calls {
	return Calls{c.gets.Load(), c.puts.Load(), c.updates.Load(), c.deletes.Load(), c.queries.Load(), c.batchGets.Load(), c.batchWrites.Load()}
}

// Reset sets every count to zero.
func (c *Counter) Reset() {
	for _, n := range []*atomic.Int64{&c.gets, &c.puts, &c.updates, &c.deletes, &c.queries, &c.batchGets, &c.batchWrites} {
		n.Store(0)
	}
}

func (c *Counter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.gets.Add(1)
	return c.DB.GetItem(ctx, in, optFns...)
}
func (c *Counter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.puts.Add(1)
	return c.DB.PutItem(ctx, in, optFns...)
}
func (c *Counter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.updates.Add(1)
	return c.DB.UpdateItem(ctx, in, optFns...)
}
func (c *Counter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c.deletes.Add(1)
	return c.DB.DeleteItem(ctx, in, optFns...)
}
func (c *Counter) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.queries.Add(1)
	return c.DB.Query(ctx, in, optFns...)
}
func (c *Counter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.batchGets.Add(1)
	return c.DB.BatchGetItem(ctx, in, optFns...)
}
func (c *Counter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.batchWrites.Add(1)
	return c.DB.BatchWriteItem(ctx, in, optFns...)
}

// item is one item as DynamoDB stores it.
type item = map[string]types.AttributeValue

// itemKey is the primary key of every item; the builders in schema.go make its values.
type itemKey struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

func key(pk, sk string) itemKey { return itemKey{PK: pk, SK: sk} }

// av is the key as DynamoDB takes it: two string attributes, written as the SDK's own
// values. attributevalue.MarshalMap would give the same map through reflection, which was a
// third of a 100-user online check's own time (one key per user).
func (k itemKey) av() item {
	return item{
		AttrPK: &types.AttributeValueMemberS{Value: k.PK},
		AttrSK: &types.AttributeValueMemberS{Value: k.SK},
	}
}

// keyOf reads an item's primary key.
func keyOf(it item) (itemKey, error) {
	var k itemKey
	if err := attributevalue.UnmarshalMap(it, &k); err != nil {
		return k, fmt.Errorf("read item key: %w", err)
	}
	return k, nil
}

// unmarshal reads an item into a struct of its attributes.
func unmarshal[T any](it item) (*T, error) {
	v := new(T)
	if err := attributevalue.UnmarshalMap(it, v); err != nil {
		return nil, fmt.Errorf("read item: %w", err)
	}
	return v, nil
}

// values marshals expression attribute values (":name": value).
func values(v map[string]any) item {
	out, err := attributevalue.MarshalMap(v)
	if err != nil {
		panic(err) // the store passes only strings, numbers and structs of them
	}
	return out
}

func isConditionFailed(err error) bool {
	return errors.As(err, new(*types.ConditionalCheckFailedException))
}

// Consistency says whether a read must see every write DynamoDB acknowledged before it.
type Consistency bool

const (
	// Strong: the read sees every write acknowledged before it. Reads whose answer a rule
	// depends on (a ban against a connect, a kick after a ban) are strong.
	Strong Consistency = true
	// Eventual: the read may miss writes of about the last second, and costs half the read
	// units. Only for answers that are a snapshot anyway, such as whether a user is online.
	Eventual Consistency = false
)

// batchGet reads keys 100 to a call (DynamoDB's limit), the calls side by side (at most
// parallelism at once), each again only for keys DynamoDB left unprocessed.
func (st *Store) batchGet(ctx context.Context, keys []itemKey, c Consistency) ([]item, error) {
	var mu sync.Mutex
	var out []item
	err := inChunks(ctx, len(keys), 100, func(ctx context.Context, from, to int) error {
		chunk := make([]item, to-from)
		for i := range chunk {
			chunk[i] = keys[from+i].av()
		}
		req := map[string]types.KeysAndAttributes{st.table: {Keys: chunk, ConsistentRead: aws.Bool(bool(c))}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			res, err := st.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return fmt.Errorf("batch get: %w", err)
			}
			mu.Lock()
			out = append(out, res.Responses[st.table]...)
			mu.Unlock()
			req = res.UnprocessedKeys
		}
		return nil
	})
	return out, err
}

// batchWrite writes requests in groups of 25, the groups side by side (at most parallelism at
// once), retrying unprocessed items. Every request it is given must be safe to repeat (puts of
// whole items, deletes).
func (st *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) error {
	return inChunks(ctx, len(reqs), 25, func(ctx context.Context, from, to int) error {
		pending := map[string][]types.WriteRequest{st.table: reqs[from:to]}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			res, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("batch write: %w", err)
			}
			pending = res.UnprocessedItems
		}
		return nil
	})
}

// inChunks runs fn on n items in chunks of size [from, to), side by side, at most parallelism
// at once: a batch call's chunks are independent of each other. A single chunk runs in the
// caller's goroutine.
func inChunks(ctx context.Context, n, size int, fn func(ctx context.Context, from, to int) error) error {
	if n <= size {
		if n == 0 {
			return nil
		}
		return fn(ctx, 0, n)
	}
	chunks := (n + size - 1) / size
	return parallel.First(parallel.Do(ctx, chunks, parallelism, func(ctx context.Context, i int) error {
		return fn(ctx, i*size, min((i+1)*size, n))
	}))
}

// backoff waits before retrying unprocessed batch items (capped exponential), and gives up
// after ten attempts so a throttled table cannot hold a request forever.
func backoff(ctx context.Context, attempt int) error {
	if attempt > 10 {
		return errors.New("batch items left unprocessed after 10 attempts")
	}
	d := min(time.Duration(1<<attempt)*10*time.Millisecond, time.Second)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func deleteRequest(k itemKey) types.WriteRequest {
	return types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k.av()}}
}

// putRequest puts a whole item, a struct with dynamodbav tags.
func putRequest(v any) (types.WriteRequest, error) {
	it, err := attributevalue.MarshalMap(v)
	if err != nil {
		return types.WriteRequest{}, fmt.Errorf("marshal item: %w", err)
	}
	return types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}, nil
}
