package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"imusers/shared/aws/connections"

	"imusers/shared/assembly"
	"imusers/shared/store"
)

// meter asks DynamoDB for the capacity every call consumes (ReturnConsumedCapacity TOTAL,
// which the service itself never sets) and adds it up, and times every call the service makes
// outside itself — each DynamoDB call on its own, and the Management API and Lambda calls
// through otherAWS — so the report can tell how much of an operation's latency is the
// service's own work.
type meter struct {
	store.DB
	// plain makes the meter a pass-through: the load phase runs the service as deployed,
	// without asking DynamoDB for capacity and without booking and timing every call, work of
	// the benchmark's own that would otherwise share the service's CPU.
	plain atomic.Bool
	mu    sync.Mutex
	read  float64
	write float64
	// Time with at least one call of the kind out: an operation that runs its calls side by side
	// waits for them once, not once each.
	dynamo, other, outside span
	calls                  []timedCall // every DynamoDB call since the last reset
	items                  itemUse
	// Management API calls (frames posted, connections closed) and Lambda invocations.
	posts, closes, invokes int
}

var _ store.DB = (*meter)(nil)

// maxTimedCalls bounds the calls kept between two resets; one measured request makes a few
// dozen at most.
const maxTimedCalls = 10_000

// timedCall is one DynamoDB request, from the service handing it to its DynamoDB client to the
// client handing back the answer: serialising, signing, the round trip and decoding.
type timedCall struct {
	Action string
	Took   time.Duration
}

// span adds up the time during which at least one call was out.
type span struct {
	inFlight int
	since    time.Time // when inFlight last rose from zero
	total    time.Duration
}

func (s *span) begin(now time.Time) {
	if s.inFlight == 0 {
		s.since = now
	}
	s.inFlight++
}

func (s *span) end(now time.Time) {
	if s.inFlight--; s.inFlight == 0 {
		s.total += now.Sub(s.since)
	}
}

func (s *span) reset(now time.Time) {
	s.total = 0
	if s.inFlight > 0 {
		s.since = now
	}
}

// usage is a snapshot of a meter.
type usage struct {
	Read, Write float64
	// Waited is the time with a DynamoDB call out, OtherAWS with a Management API or Lambda
	// call out, Outside with either: the part of a request's latency that is not the service's.
	Waited, OtherAWS, Outside time.Duration
	Calls                     []timedCall
	Items                     itemUse
	Posts, Closes, Invokes    int
}

func (m *meter) reset() {
	now := time.Now()
	m.mu.Lock()
	m.read, m.write = 0, 0
	m.dynamo.reset(now)
	m.other.reset(now)
	m.outside.reset(now)
	m.calls = nil
	m.items = itemUse{}
	m.posts, m.closes, m.invokes = 0, 0, 0
	m.mu.Unlock()
}

func (m *meter) usage() usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return usage{Read: m.read, Write: m.write, Waited: m.dynamo.total, OtherAWS: m.other.total,
		Outside: m.outside.total, Calls: append([]timedCall(nil), m.calls...), Items: perCall(m.items, 1),
		Posts: m.posts, Closes: m.closes, Invokes: m.invokes}
}

// begin marks a DynamoDB call going out and returns when it did.
func (m *meter) begin() time.Time {
	now := time.Now()
	m.mu.Lock()
	m.dynamo.begin(now)
	m.outside.begin(now)
	m.mu.Unlock()
	return now
}

// add ends a DynamoDB call and books its time and what it consumed, in all and over the items
// it touched. isWrite says which kind the call is, for answers that give only a total; answers
// that split read and write units are taken as given.
//
// The call's span ends only after the booking, which, like working out the items a call
// touches, is the meter's own work: counted with the call, it is not taken for the service's.
func (m *meter) add(action string, start time.Time, isWrite bool, ts []touch, ccs ...*types.ConsumedCapacity) {
	now := time.Now()
	m.mu.Lock()
	defer func() {
		end := time.Now()
		m.dynamo.end(end)
		m.outside.end(end)
		m.mu.Unlock()
	}()
	// Load steps never reset the meter: their calls are not kept.
	if len(m.calls) < maxTimedCalls {
		m.calls = append(m.calls, timedCall{action, now.Sub(start)})
	}
	var read, write float64
	for _, cc := range ccs {
		if cc == nil {
			continue
		}
		r, w := aws.ToFloat64(cc.ReadCapacityUnits), aws.ToFloat64(cc.WriteCapacityUnits)
		if r == 0 && w == 0 {
			if isWrite {
				w = aws.ToFloat64(cc.CapacityUnits)
			} else {
				r = aws.ToFloat64(cc.CapacityUnits)
			}
		}
		read += r
		write += w
	}
	m.read += read
	m.write += write
	m.items.book(ts, false, read)
	m.items.book(ts, true, write)
}

// otherCall times one call to an AWS API other than DynamoDB and counts it in n.
func (m *meter) otherCall(n *int, call func()) {
	if m.plain.Load() {
		call()
		return
	}
	now := time.Now()
	m.mu.Lock()
	*n++
	m.other.begin(now)
	m.outside.begin(now)
	m.mu.Unlock()
	call()
	now = time.Now()
	m.mu.Lock()
	m.other.end(now)
	m.outside.end(now)
	m.mu.Unlock()
}

func ptrs(list []types.ConsumedCapacity) []*types.ConsumedCapacity {
	out := make([]*types.ConsumedCapacity, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

const total = types.ReturnConsumedCapacityTotal

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if m.plain.Load() {
		return m.DB.GetItem(ctx, in, optFns...)
	}
	in.ReturnConsumedCapacity = total
	start := m.begin()
	ts := []touch{{key: in.Key}}
	out, err := m.DB.GetItem(ctx, in, optFns...)
	if out != nil {
		m.add("GetItem", start, false, ts, out.ConsumedCapacity)
	} else {
		m.add("GetItem", start, false, ts)
	}
	return out, err
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if m.plain.Load() {
		return m.DB.PutItem(ctx, in, optFns...)
	}
	in.ReturnConsumedCapacity = total
	start := m.begin()
	ts := putTouch(in)
	out, err := m.DB.PutItem(ctx, in, optFns...)
	if out != nil {
		m.add("PutItem", start, true, ts, out.ConsumedCapacity)
	} else {
		m.add("PutItem", start, true, ts)
	}
	return out, err
}

func (m *meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if m.plain.Load() {
		return m.DB.UpdateItem(ctx, in, optFns...)
	}
	in.ReturnConsumedCapacity = total
	start := m.begin()
	ts := updateTouch(in)
	out, err := m.DB.UpdateItem(ctx, in, optFns...)
	if out != nil {
		m.add("UpdateItem", start, true, ts, out.ConsumedCapacity)
	} else {
		m.add("UpdateItem", start, true, ts)
	}
	return out, err
}

func (m *meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if m.plain.Load() {
		return m.DB.DeleteItem(ctx, in, optFns...)
	}
	in.ReturnConsumedCapacity = total
	start := m.begin()
	ts := []touch{{key: in.Key, deletes: true}}
	out, err := m.DB.DeleteItem(ctx, in, optFns...)
	if out != nil {
		m.add("DeleteItem", start, true, ts, out.ConsumedCapacity)
	} else {
		m.add("DeleteItem", start, true, ts)
	}
	return out, err
}

func (m *meter) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if m.plain.Load() {
		return m.DB.Query(ctx, in, optFns...)
	}
	in.ReturnConsumedCapacity = total
	start := m.begin()
	ts := []touch{{}}
	out, err := m.DB.Query(ctx, in, optFns...)
	if out != nil {
		m.add("Query", start, false, ts, out.ConsumedCapacity)
	} else {
		m.add("Query", start, false, ts)
	}
	return out, err
}

func (m *meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if m.plain.Load() {
		return m.DB.BatchGetItem(ctx, in, optFns...)
	}
	in.ReturnConsumedCapacity = total
	start := m.begin()
	ts := batchGetTouches(in)
	out, err := m.DB.BatchGetItem(ctx, in, optFns...)
	if out != nil {
		m.add("BatchGetItem", start, false, ts, ptrs(out.ConsumedCapacity)...)
	} else {
		m.add("BatchGetItem", start, false, ts)
	}
	return out, err
}

func (m *meter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if m.plain.Load() {
		return m.DB.BatchWriteItem(ctx, in, optFns...)
	}
	in.ReturnConsumedCapacity = total
	start := m.begin()
	ts := batchWriteTouches(in)
	out, err := m.DB.BatchWriteItem(ctx, in, optFns...)
	if out != nil {
		m.add("BatchWriteItem", start, true, ts, ptrs(out.ConsumedCapacity)...)
	} else {
		m.add("BatchWriteItem", start, true, ts)
	}
	return out, err
}

// meteredConnections times the service's Management API calls (deliveries and kicks): round
// trips to API Gateway, not the service's own work.
type meteredConnections struct {
	connections.API
	m *meter
}

func (c meteredConnections) Post(ctx context.Context, connID string, data []byte) (err error) {
	c.m.otherCall(&c.m.posts, func() { err = c.API.Post(ctx, connID, data) })
	return err
}

func (c meteredConnections) Delete(ctx context.Context, connID string) (err error) {
	c.m.otherCall(&c.m.closes, func() { err = c.API.Delete(ctx, connID) })
	return err
}

// meteredInvoker times the asynchronous Lambda Invoke that starts an erasure.
type meteredInvoker struct {
	assembly.Invoker
	m *meter
}

func (i meteredInvoker) Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (out *lambda.InvokeOutput, err error) {
	i.m.otherCall(&i.m.invokes, func() { out, err = i.Invoker.Invoke(ctx, in, optFns...) })
	return out, err
}
