package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"imusers/shared/dynamo"
)

// DB is the part of the DynamoDB API the store uses. *dynamo.Client satisfies it; tests wrap
// it to count calls or inject faults. An implementation keeps nothing of a call's input once
// the call returns: the store reuses the keys of batched reads.
type DB interface {
	GetItem(context.Context, *dynamo.GetItemInput) (*dynamo.GetItemOutput, error)
	PutItem(context.Context, *dynamo.PutItemInput) (*dynamo.PutItemOutput, error)
	UpdateItem(context.Context, *dynamo.UpdateItemInput) (*dynamo.UpdateItemOutput, error)
	DeleteItem(context.Context, *dynamo.DeleteItemInput) (*dynamo.DeleteItemOutput, error)
	Query(context.Context, *dynamo.QueryInput) (*dynamo.QueryOutput, error)
	BatchGetItem(context.Context, *dynamo.BatchGetItemInput) (*dynamo.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamo.BatchWriteItemInput) (*dynamo.BatchWriteItemOutput, error)
}

var _ DB = (*dynamo.Client)(nil)

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

func (c *Counter) GetItem(ctx context.Context, in *dynamo.GetItemInput) (*dynamo.GetItemOutput, error) {
	c.gets.Add(1)
	return c.DB.GetItem(ctx, in)
}
func (c *Counter) PutItem(ctx context.Context, in *dynamo.PutItemInput) (*dynamo.PutItemOutput, error) {
	c.puts.Add(1)
	return c.DB.PutItem(ctx, in)
}
func (c *Counter) UpdateItem(ctx context.Context, in *dynamo.UpdateItemInput) (*dynamo.UpdateItemOutput, error) {
	c.updates.Add(1)
	return c.DB.UpdateItem(ctx, in)
}
func (c *Counter) DeleteItem(ctx context.Context, in *dynamo.DeleteItemInput) (*dynamo.DeleteItemOutput, error) {
	c.deletes.Add(1)
	return c.DB.DeleteItem(ctx, in)
}
func (c *Counter) Query(ctx context.Context, in *dynamo.QueryInput) (*dynamo.QueryOutput, error) {
	c.queries.Add(1)
	return c.DB.Query(ctx, in)
}
func (c *Counter) BatchGetItem(ctx context.Context, in *dynamo.BatchGetItemInput) (*dynamo.BatchGetItemOutput, error) {
	c.batchGets.Add(1)
	return c.DB.BatchGetItem(ctx, in)
}
func (c *Counter) BatchWriteItem(ctx context.Context, in *dynamo.BatchWriteItemInput) (*dynamo.BatchWriteItemOutput, error) {
	c.batchWrites.Add(1)
	return c.DB.BatchWriteItem(ctx, in)
}

// Attribute values, shortened.
func s(v string) dynamo.AttributeValue { return &dynamo.AttributeValueMemberS{Value: v} }
func n(v int64) dynamo.AttributeValue {
	return &dynamo.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

type item = map[string]dynamo.AttributeValue

func key(pk, sk string) item { return item{AttrPK: s(pk), AttrSK: s(sk)} }

// keyBatch holds the keys of one batched read. A key is a map of two values, and building 100
// of them for every read was most of what a checkOnline batch allocated (and half of its own
// time), so batches are kept and refilled: their maps already point at the batch's values, and
// only the values' strings change. Nothing keeps a call's input once the call has returned
// (see DB), so a batch can be refilled as soon as its read is done.
type keyBatch struct {
	keys []item // the read's keys: the first of all
	all  []item // every map built, each pointing at its value in pks
	pks  []dynamo.AttributeValueMemberS
	sk   dynamo.AttributeValueMemberS
}

// maxKeptBatch is the largest batch kept for reuse: a BatchGetItem reads at most 100 keys.
const maxKeptBatch = 100

var keyBatches = sync.Pool{New: func() any { return new(keyBatch) }}

// keysUnder returns a batch of the keys of users' items with sort key sk, as
// key(userPK(app, u), sk) builds each; release it once the read is done.
func keysUnder(app string, users []string, sk string) *keyBatch {
	kb := keyBatches.Get().(*keyBatch)
	n := len(users)
	if cap(kb.pks) < n {
		// The maps point at the values they were built with: build them again.
		kb.pks, kb.all = make([]dynamo.AttributeValueMemberS, n), nil
	}
	kb.pks = kb.pks[:n]
	for i := len(kb.all); i < n; i++ {
		kb.all = append(kb.all, item{AttrPK: &kb.pks[i], AttrSK: &kb.sk})
	}
	kb.keys = kb.all[:n]
	kb.sk.Value = sk
	// The partition keys, built in one string.
	prefix := userPrefix(app)
	var b strings.Builder
	b.Grow(len(users)*len(prefix) + totalLen(users))
	for _, u := range users {
		b.WriteString(prefix)
		b.WriteString(u)
	}
	pks := b.String()
	for i, u := range users {
		n := len(prefix) + len(u)
		kb.pks[i].Value, pks = pks[:n], pks[n:]
	}
	return kb
}

// release keeps the batch for the next read.
func (kb *keyBatch) release() {
	if cap(kb.pks) > maxKeptBatch {
		return
	}
	clear(kb.pks[:cap(kb.pks)]) // keeps no partition key alive
	keyBatches.Put(kb)
}

func totalLen(list []string) int {
	n := 0
	for _, s := range list {
		n += len(s)
	}
	return n
}

func str(it item, name string) string {
	if v, ok := it[name].(*dynamo.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(it item, name string) int64 {
	// The store writes only whole numbers; anything else reads as 0, like a missing attribute.
	if v, ok := it[name].(*dynamo.AttributeValueMemberN); ok {
		x, _ := strconv.ParseInt(v.Value, 10, 64)
		return x
	}
	return 0
}

func isConditionFailed(err error) bool {
	var cf *dynamo.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

// batchGet reads keys 100 to a call (DynamoDB's limit), and again only for keys DynamoDB left
// unprocessed.
func (st *Store) batchGet(ctx context.Context, keys []item) ([]item, error) {
	var out []item
	for len(keys) > 0 {
		chunk := keys[:min(100, len(keys))]
		keys = keys[len(chunk):]
		req := map[string]dynamo.KeysAndAttributes{st.table: {Keys: chunk, ConsistentRead: aws.Bool(true)}}
		for attempt := 0; len(req) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return nil, err
				}
			}
			res, err := st.db.BatchGetItem(ctx, &dynamo.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("batch get: %w", err)
			}
			out = append(out, res.Responses[st.table]...)
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// batchWrite writes requests in groups of 25, retrying unprocessed items. Every request it is
// given must be safe to repeat (puts of whole items, deletes).
func (st *Store) batchWrite(ctx context.Context, reqs []dynamo.WriteRequest) error {
	for len(reqs) > 0 {
		chunk := reqs[:min(25, len(reqs))]
		reqs = reqs[len(chunk):]
		pending := map[string][]dynamo.WriteRequest{st.table: chunk}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			res, err := st.db.BatchWriteItem(ctx, &dynamo.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("batch write: %w", err)
			}
			pending = res.UnprocessedItems
		}
	}
	return nil
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

func deleteRequest(k item) dynamo.WriteRequest {
	return dynamo.WriteRequest{DeleteRequest: &dynamo.DeleteRequest{Key: k}}
}
