package chaos_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"imusers/infra/faultproxy"
	"imusers/shared/apps"
	"imusers/shared/dynamo"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// switchDB lets a test give the running service a new DynamoDB client, as a new Lambda
// container would get: each client has its own retry budget, so cases do not drain each other's.
type switchDB struct {
	cur atomic.Pointer[dynamo.Client]
}

func (d *switchDB) c() *dynamo.Client { return d.cur.Load() }

func (d *switchDB) GetItem(ctx context.Context, in *dynamo.GetItemInput) (*dynamo.GetItemOutput, error) {
	return d.c().GetItem(ctx, in)
}
func (d *switchDB) PutItem(ctx context.Context, in *dynamo.PutItemInput) (*dynamo.PutItemOutput, error) {
	return d.c().PutItem(ctx, in)
}
func (d *switchDB) UpdateItem(ctx context.Context, in *dynamo.UpdateItemInput) (*dynamo.UpdateItemOutput, error) {
	return d.c().UpdateItem(ctx, in)
}
func (d *switchDB) DeleteItem(ctx context.Context, in *dynamo.DeleteItemInput) (*dynamo.DeleteItemOutput, error) {
	return d.c().DeleteItem(ctx, in)
}
func (d *switchDB) Query(ctx context.Context, in *dynamo.QueryInput) (*dynamo.QueryOutput, error) {
	return d.c().Query(ctx, in)
}
func (d *switchDB) BatchGetItem(ctx context.Context, in *dynamo.BatchGetItemInput) (*dynamo.BatchGetItemOutput, error) {
	return d.c().BatchGetItem(ctx, in)
}
func (d *switchDB) BatchWriteItem(ctx context.Context, in *dynamo.BatchWriteItemInput) (*dynamo.BatchWriteItemOutput, error) {
	return d.c().BatchWriteItem(ctx, in)
}

var _ store.DB = (*switchDB)(nil)

// rig is the whole service whose DynamoDB client goes through a fault proxy.
type rig struct {
	*testenv.Stack
	t     *testing.T
	proxy *faultproxy.Proxy
	db    *switchDB
	log   *testenv.SyncBuffer
	// direct reads the table past the proxy, so checks see what is really stored.
	direct *store.Store
}

func start(t *testing.T, list ...apps.App) *rig {
	t.Helper()
	return startWith(t, nil, list...)
}

// startWith is start with a change to the service's configuration.
func startWith(t *testing.T, configure func(*service.Config), list ...apps.App) *rig {
	t.Helper()
	r := &rig{t: t, proxy: faultproxy.Start(t, testenv.Endpoint(t), 7), db: &switchDB{}, log: &testenv.SyncBuffer{}}
	r.freshClient()
	r.Stack = testenv.StartStackWith(t, testenv.Options{Apps: list, DB: r.db, Log: r.log, Configure: configure})
	r.direct = store.New(testenv.DB(t), r.Table)
	// Registered after the stack, so it runs before the stack's own cleanup: wait for the
	// asynchronous erasures first, then read the log.
	t.Cleanup(func() {
		r.Gateway.Wait()
		if strings.Contains(strings.ToLower(r.log.String()), "panic") {
			t.Errorf("the service logged a panic:\n%s", r.log.String())
		}
	})
	return r
}

// freshClient builds the service's DynamoDB client exactly as a cold start does
// (service.AWSConfig: its HTTP timeout, its retryer), aimed at the proxy.
func (r *rig) freshClient() {
	r.t.Helper()
	cfg, err := service.AWSConfig(context.Background(), func(c *aws.Config) {
		c.Region = "us-east-1"
		c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
	})
	if err != nil {
		r.t.Fatal(err)
	}
	db, err := dynamo.New(cfg, r.proxy.URL)
	if err != nil {
		r.t.Fatal(err)
	}
	r.db.cur.Store(db)
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// leaks lists what an error body must never show: AWS error names and texts, the SDK's
// wording, addresses, stack traces.
var leaks = []string{
	"exception", "dynamodb", "aws", "amazon", "throughput", "internalservererror", "faultproxy",
	"operation error", "api error", "requestid", "statuscode", "127.0.0.1", "http://", "goroutine",
	".go:", "connection reset", "eof", "deadline", "context",
}

// checkFailure requires a 1000 (HTTP 500) or 1050 (HTTP 504) answer that tells nothing of
// what failed underneath.
func checkFailure(t *testing.T, r testenv.Response) {
	t.Helper()
	ok := r.Status == 500 && r.Code() == 1000 || r.Status == 504 && r.Code() == 1050
	if !ok {
		t.Errorf("answer = HTTP %d %s; want 1000/500 or 1050/504", r.Status, r.Raw)
	}
	low := strings.ToLower(r.Raw)
	for _, w := range leaks {
		if strings.Contains(low, w) {
			t.Errorf("error body shows %q: %s", w, r.Raw)
		}
	}
}
