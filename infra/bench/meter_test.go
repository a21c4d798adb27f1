package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/shared/store"
)

// slowDB answers after a delay with the capacity DynamoDB would report, and fails unless it
// was asked to report capacity.
type slowDB struct {
	store.DB
	delay time.Duration
	// together, when set, holds each GetItem until all it counts have arrived, so that they
	// are surely out at the same time.
	together *sync.WaitGroup
}

func (d slowDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if d.together != nil {
		d.together.Done()
		d.together.Wait()
	}
	time.Sleep(d.delay)
	if in.ReturnConsumedCapacity != types.ReturnConsumedCapacityTotal {
		return nil, context.Canceled
	}
	return &dynamodb.GetItemOutput{ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(1)}}, nil
}

func (d slowDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	time.Sleep(d.delay)
	if in.ReturnConsumedCapacity != types.ReturnConsumedCapacityTotal {
		return nil, context.Canceled
	}
	return &dynamodb.UpdateItemOutput{ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(2)}}, nil
}

func TestMeterCountsCapacityByKindAndWaitingOnce(t *testing.T) {
	const d = 50 * time.Millisecond
	var together sync.WaitGroup
	together.Add(2)
	m := &meter{DB: slowDB{delay: d, together: &together}}
	ctx := context.Background()

	// Side by side: two reads out at the same time are waited for once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sum time.Duration
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if _, err := m.GetItem(ctx, &dynamodb.GetItemInput{}); err != nil {
				t.Error("the meter did not ask for ReturnConsumedCapacity TOTAL")
			}
			mu.Lock()
			sum += time.Since(start)
			mu.Unlock()
		}()
	}
	wg.Wait()
	u := m.usage()
	if u.Read != 2 || u.Write != 0 {
		t.Fatalf("capacity read %v write %v, want 2 and 0", u.Read, u.Write)
	}
	// Both slept d at the same time, so the union is about d while the calls' sum is about 2d.
	if u.Waited < d || u.Waited > sum-d/2 {
		t.Fatalf("two overlapping calls (%v in all) waited %v: waiting must be counted once, not per call", sum, u.Waited)
	}

	// One after the other: each wait counts.
	m = &meter{DB: slowDB{delay: d}}
	if _, err := m.GetItem(ctx, &dynamodb.GetItemInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.UpdateItem(ctx, &dynamodb.UpdateItemInput{}); err != nil {
		t.Fatal(err)
	}
	u = m.usage()
	if u.Read != 1 || u.Write != 2 || u.Waited < 2*d || u.Outside != u.Waited || u.OtherAWS != 0 {
		t.Fatalf("sequential calls: read %v write %v waited %v (outside %v, other %v)", u.Read, u.Write, u.Waited, u.Outside, u.OtherAWS)
	}
	// Each call is timed on its own, by action.
	if len(u.Calls) != 2 || u.Calls[0].Action != "GetItem" || u.Calls[1].Action != "UpdateItem" || u.Calls[0].Took < d || u.Calls[1].Took < d {
		t.Fatalf("timed calls %+v", u.Calls)
	}
	m.reset()
	if u := m.usage(); u.Waited != 0 || len(u.Calls) != 0 || u.Read != 0 {
		t.Fatalf("after reset: %+v", u)
	}
}

func TestMeterCountsOtherAWSCallsOnceWithDynamoDB(t *testing.T) {
	const d = 40 * time.Millisecond
	m := &meter{DB: slowDB{delay: d}}
	ctx := context.Background()
	// A delivery running beside a read: both are outside the service, their overlap once.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.otherCall(&m.posts, func() { time.Sleep(d) })
	}()
	if _, err := m.GetItem(ctx, &dynamodb.GetItemInput{}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	u := m.usage()
	if u.OtherAWS < d || u.Waited < d || u.Outside < d || u.Outside >= u.Waited+u.OtherAWS-d/2 {
		t.Fatalf("waited %v, other %v, outside %v: overlapping calls must count once", u.Waited, u.OtherAWS, u.Outside)
	}
	if len(u.Calls) != 1 {
		t.Fatalf("a Management API call was booked as a DynamoDB call: %+v", u.Calls)
	}
}
