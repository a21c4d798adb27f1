package main

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
)

// meter asks DynamoDB for the capacity every call consumes (ReturnConsumedCapacity TOTAL,
// which the service itself never sets) and adds it up, with the time spent waiting on
// DynamoDB, so the report can tell capacity per operation and how much of an operation's
// latency is not DynamoDB's.
type meter struct {
	store.DB
	mu       sync.Mutex
	read     float64
	write    float64
	waited   time.Duration
	inFlight int
	since    time.Time // when inFlight last rose from zero
}

var _ store.DB = (*meter)(nil)

// usage is a snapshot of a meter.
type usage struct {
	Read, Write float64
	Waited      time.Duration
}

func (m *meter) reset() {
	m.mu.Lock()
	m.read, m.write, m.waited = 0, 0, 0
	if m.inFlight > 0 {
		m.since = time.Now()
	}
	m.mu.Unlock()
}

func (m *meter) usage() usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return usage{m.read, m.write, m.waited}
}

// begin marks a call going out. Waiting is counted while at least one call is out, not per
// call: an operation that runs its writes side by side waits for them once, not once each.
func (m *meter) begin() {
	m.mu.Lock()
	if m.inFlight == 0 {
		m.since = time.Now()
	}
	m.inFlight++
	m.mu.Unlock()
}

// add ends a call and books what it consumed. isWrite says which kind the call is, for answers
// that give only a total; answers that split read and write units are taken as given.
func (m *meter) add(isWrite bool, ccs ...*types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.inFlight--; m.inFlight == 0 {
		m.waited += time.Since(m.since)
	}
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
		m.read += r
		m.write += w
	}
}

func ptrs(list []types.ConsumedCapacity) []*types.ConsumedCapacity {
	out := make([]*types.ConsumedCapacity, len(list))
	for i := range list {
		out[i] = &list[i]
	}
	return out
}

const total = types.ReturnConsumedCapacityTotal

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = total
	m.begin()
	out, err := m.DB.GetItem(ctx, in, o...)
	if out != nil {
		m.add(false, out.ConsumedCapacity)
	} else {
		m.add(false)
	}
	return out, err
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = total
	m.begin()
	out, err := m.DB.PutItem(ctx, in, o...)
	if out != nil {
		m.add(true, out.ConsumedCapacity)
	} else {
		m.add(true)
	}
	return out, err
}

func (m *meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = total
	m.begin()
	out, err := m.DB.UpdateItem(ctx, in, o...)
	if out != nil {
		m.add(true, out.ConsumedCapacity)
	} else {
		m.add(true)
	}
	return out, err
}

func (m *meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = total
	m.begin()
	out, err := m.DB.DeleteItem(ctx, in, o...)
	if out != nil {
		m.add(true, out.ConsumedCapacity)
	} else {
		m.add(true)
	}
	return out, err
}

func (m *meter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = total
	m.begin()
	out, err := m.DB.Query(ctx, in, o...)
	if out != nil {
		m.add(false, out.ConsumedCapacity)
	} else {
		m.add(false)
	}
	return out, err
}

func (m *meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	in.ReturnConsumedCapacity = total
	m.begin()
	out, err := m.DB.BatchGetItem(ctx, in, o...)
	if out != nil {
		m.add(false, ptrs(out.ConsumedCapacity)...)
	} else {
		m.add(false)
	}
	return out, err
}

func (m *meter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	in.ReturnConsumedCapacity = total
	m.begin()
	out, err := m.DB.BatchWriteItem(ctx, in, o...)
	if out != nil {
		m.add(true, ptrs(out.ConsumedCapacity)...)
	} else {
		m.add(true)
	}
	return out, err
}
