package chaos_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"imusers/infra/faultproxy"
	"imusers/shared/apps"
	"imusers/shared/service"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

// switchDB lets a test give the running service a new DynamoDB client, as a new Lambda
// container would get: each client has its own retry budget, so cases do not drain each other's.
type switchDB struct {
	cur atomic.Pointer[dynamodb.Client]
}

func (d *switchDB) c() *dynamodb.Client { return d.cur.Load() }

func (d *switchDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return d.c().GetItem(ctx, in, optFns...)
}
func (d *switchDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return d.c().PutItem(ctx, in, optFns...)
}
func (d *switchDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return d.c().UpdateItem(ctx, in, optFns...)
}
func (d *switchDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return d.c().DeleteItem(ctx, in, optFns...)
}
func (d *switchDB) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return d.c().Query(ctx, in, optFns...)
}
func (d *switchDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return d.c().BatchGetItem(ctx, in, optFns...)
}
func (d *switchDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return d.c().BatchWriteItem(ctx, in, optFns...)
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
	r.direct = store.New(testenv.Client(t), r.Table)
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
// (service.AWSConfig and store.NewClient: its HTTP timeout, its retryer), aimed at the
// proxy.
func (r *rig) freshClient() {
	r.t.Helper()
	cfg, err := service.AWSConfig(context.Background(), func(c *aws.Config) {
		c.Region = "us-east-1"
		c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.db.cur.Store(store.NewClient(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(r.proxy.URL) }))
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
