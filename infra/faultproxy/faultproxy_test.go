package faultproxy_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"imusers/infra/faultproxy"
	"imusers/shared/testenv"
)

// direct is a client that makes one attempt, with a short timeout, so each fault shows as
// the SDK sees it.
func direct(url string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 500 * time.Millisecond},
	})
}

type fixture struct {
	proxy  *faultproxy.Proxy
	client *dynamodb.Client
	table  string
}

func setup(t *testing.T) fixture {
	t.Helper()
	table := testenv.NewTable(t, testenv.Client(t))
	p := faultproxy.Start(t, testenv.Endpoint(t), 1)
	return fixture{p, direct(p.URL), table}
}

func (f fixture) put(id string) error {
	_, err := f.client.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(f.table),
		Item:      map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: id}, "SK": &types.AttributeValueMemberS{Value: "x"}},
	})
	return err
}

// exists reads past the proxy, so a faulted read cannot hide a write.
func (f fixture) exists(t *testing.T, id string) bool {
	t.Helper()
	out, err := testenv.Client(t).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: id}, "SK": &types.AttributeValueMemberS{Value: "x"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

func apiCode(err error) string {
	// smithy.APIError, named by its method so the test needs no direct smithy import.
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Each fault reaches the SDK as the error DynamoDB itself would give, and only the faulted
// request is lost (or, with After, only its answer).
func TestEachFaultAsTheSDKSeesIt(t *testing.T) {
	cases := []struct {
		name    string
		rule    faultproxy.Rule
		check   func(error) bool
		written bool
	}{
		{"throughput exceeded", faultproxy.Rule{Kind: faultproxy.Throughput}, func(err error) bool {
			var e *types.ProvisionedThroughputExceededException
			return errors.As(err, &e)
		}, false},
		{"throttling", faultproxy.Rule{Kind: faultproxy.Throttling}, func(err error) bool {
			return apiCode(err) == "ThrottlingException"
		}, false},
		{"internal error", faultproxy.Rule{Kind: faultproxy.Internal}, func(err error) bool {
			var e *types.InternalServerError
			return errors.As(err, &e)
		}, false},
		{"delay past the client timeout", faultproxy.Rule{Kind: faultproxy.Delay, Delay: 2 * time.Second}, func(err error) bool {
			var to interface{ Timeout() bool }
			return errors.As(err, &to) && to.Timeout()
		}, false},
		{"dropped connection", faultproxy.Rule{Kind: faultproxy.Drop}, func(err error) bool {
			return err != nil && apiCode(err) == ""
		}, false},
		{"answer lost after the write", faultproxy.Rule{Kind: faultproxy.Internal, After: true}, func(err error) bool {
			var e *types.InternalServerError
			return errors.As(err, &e)
		}, true},
		{"connection dropped after the write", faultproxy.Rule{Kind: faultproxy.Drop, After: true}, func(err error) bool {
			return err != nil && apiCode(err) == ""
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			f.proxy.Set(tc.rule)
			err := f.put("faulted")
			if !tc.check(err) {
				t.Fatalf("PutItem error = %v (%T)", err, err)
			}
			if got := f.exists(t, "faulted"); got != tc.written {
				t.Fatalf("item written = %v, want %v", got, tc.written)
			}
			f.proxy.Clear()
			if err := f.put("after"); err != nil {
				t.Fatalf("without rules the proxy must forward: %v", err)
			}
			if !f.exists(t, "after") {
				t.Fatal("forwarded write is missing")
			}
			if f.proxy.Faults("PutItem") != 1 || f.proxy.Calls("PutItem") != 2 {
				t.Fatalf("faults %d, calls %d; want 1 and 2", f.proxy.Faults("PutItem"), f.proxy.Calls("PutItem"))
			}
		})
	}
}

// Op, BodyContains, Skip, Count and Rate pick exactly the requests a test names.
func TestRuleSelection(t *testing.T) {
	f := setup(t)
	f.proxy.Set(faultproxy.Rule{Op: "PutItem", BodyContains: `"S":"b`, Kind: faultproxy.Internal, Skip: 1, Count: 2})
	got := map[string]bool{}
	for _, id := range []string{"a1", "b1", "a2", "b2", "b3", "b4", "a3"} {
		got[id] = f.put(id) == nil
	}
	want := map[string]bool{"a1": true, "b1": true, "a2": true, "b2": false, "b3": false, "b4": true, "a3": true}
	for id, ok := range want {
		if got[id] != ok {
			t.Errorf("put %s succeeded = %v, want %v", id, got[id], ok)
		}
	}
	if _, err := f.client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(f.table),
		Key:       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "b9"}, "SK": &types.AttributeValueMemberS{Value: "x"}},
	}); err != nil {
		t.Fatalf("a GetItem matched a PutItem rule: %v", err)
	}

	f.proxy.Set(faultproxy.Rule{Op: "PutItem", Kind: faultproxy.Throughput, Rate: 0.5})
	failed := 0
	const n = 200
	for i := range n {
		if f.put("r"+strings.Repeat("x", i%3)) != nil {
			failed++
		}
	}
	// With the seeded generator the share is near one half; the bounds only rule out "never"
	// and "always".
	if failed < n/4 || failed > 3*n/4 || failed != f.proxy.Faults("PutItem")-2 {
		t.Fatalf("rate 0.5 failed %d of %d (faults counted %d)", failed, n, f.proxy.Faults("PutItem"))
	}
}
