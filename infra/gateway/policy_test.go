package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"imusers/infra/gateway"
	"imusers/infra/local/localenv"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/domain/users"
	"imusers/shared/routes"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

func asFunction(name string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: gateway.FunctionARN(name)})
}

// TestPoliciesRefuseWhatTheRouteDoesNotGrant: a function's call of an action its route does not
// list is refused as AWS refuses it and reaches no table; calls outside any invocation pass.
func TestPoliciesRefuseWhatTheRouteDoesNotGrant(t *testing.T) {
	raw := testenv.Client(t)
	table := testenv.NewTable(t, raw)
	db := gateway.PolicedDB(raw)
	key := map[string]types.AttributeValue{
		store.AttrPK: &types.AttributeValueMemberS{Value: "policy"}, store.AttrSK: &types.AttributeValueMemberS{Value: "item"},
	}
	exists := func() bool {
		t.Helper()
		out, err := raw.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	denied := func(err error, function, action string) {
		t.Helper()
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
			t.Fatalf("%s calling %s: %v, want AccessDeniedException", function, action, err)
		}
		if !strings.Contains(api.ErrorMessage(), function) || !strings.Contains(api.ErrorMessage(), action) {
			t.Fatalf("the refusal %q names neither the function nor the action", api.ErrorMessage())
		}
	}

	info, ok := routes.ByName("userInfo")
	if !ok || !strings.Contains(strings.Join(info.Actions, " "), routes.GetItem) || strings.Contains(strings.Join(info.Actions, " "), routes.DeleteItem) {
		t.Fatalf("userInfo's actions %v: the test needs GetItem granted and DeleteItem not", info.Actions)
	}
	put := &dynamodb.PutItemInput{TableName: aws.String(table), Item: key}
	if _, err := db.PutItem(asFunction("userInfo"), put); err != nil {
		t.Fatalf("PutItem, granted to every Server API function: %v", err)
	}
	if _, err := db.GetItem(asFunction("userInfo"), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key}); err != nil {
		t.Fatalf("GetItem, granted: %v", err)
	}
	del := &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}
	_, err := db.DeleteItem(asFunction("userInfo"), del)
	denied(err, "userInfo", routes.DeleteItem)
	if !exists() {
		t.Fatal("a refused DeleteItem deleted the item")
	}
	_, err = db.BatchWriteItem(asFunction("userInfo"), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		table: {{DeleteRequest: &types.DeleteRequest{Key: key}}},
	}})
	denied(err, "userInfo", routes.BatchWriteItem)
	// A function the route table does not know has no policy at all.
	_, err = db.GetItem(asFunction("notAFunction"), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key})
	denied(err, "notAFunction", routes.GetItem)
	if !exists() {
		t.Fatal("a refused call changed the table")
	}
	// Outside an invocation (fixtures, set-up) nothing is refused.
	if _, err := db.DeleteItem(context.Background(), del); err != nil {
		t.Fatalf("DeleteItem outside an invocation: %v", err)
	}
	if exists() {
		t.Fatal("the DeleteItem outside an invocation did not delete")
	}
}

// arnRecorder notes the function named by the context of each GetItem.
type arnRecorder struct {
	store.DB
	mu   sync.Mutex
	arns []string
}

func (r *arnRecorder) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	r.mu.Lock()
	if lc != nil {
		r.arns = append(r.arns, lc.InvokedFunctionArn)
	} else {
		r.arns = append(r.arns, "")
	}
	r.mu.Unlock()
	return r.DB.GetItem(ctx, in, optFns...)
}

// TestInvocationsNameTheirFunction: the gateway runs each function with a context that names
// it, as the Lambda runtime does, so that the policies above know whose call it is.
func TestInvocationsNameTheirFunction(t *testing.T) {
	rec := &arnRecorder{DB: testenv.Client(t)}
	s := testenv.StartStackWith(t, testenv.Options{DB: rec})
	c := s.Client(0)
	if res := c.Post(t, "/user/getToken.json", url.Values{"userId": {"named"}, "name": {"Named"}}); res.Code() != 200 {
		t.Fatalf("getToken: %s", res.Raw)
	}
	rec.mu.Lock()
	rec.arns = nil
	rec.mu.Unlock()
	if res := c.Post(t, "/user/info.json", url.Values{"userId": {"named"}}); res.Code() != 200 {
		t.Fatalf("info: %s", res.Raw)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.arns) != 1 || rec.arns[0] != gateway.FunctionARN("userInfo") {
		t.Fatalf("userInfo's GetItem ran under %q, want one under %q", rec.arns, gateway.FunctionARN("userInfo"))
	}
}

// invocations records the invocations and connection calls that reach the clients.
type invocations struct {
	mu    sync.Mutex
	calls []string
}

func (r *invocations) note(call string) {
	r.mu.Lock()
	r.calls = append(r.calls, call)
	r.mu.Unlock()
}

func (r *invocations) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	r.note("invoke " + aws.ToString(in.FunctionName))
	return &lambda.InvokeOutput{StatusCode: 202}, nil
}
func (r *invocations) Post(_ context.Context, connID string, _ []byte) error {
	r.note("post " + connID)
	return nil
}
func (r *invocations) Delete(_ context.Context, connID string) error {
	r.note("delete " + connID)
	return nil
}

// TestPoliciesHoldInvocationsAndConnections: a function invokes only the functions its route
// names (the $default route: the Server API operations) and reaches client connections only with
// execute-api:ManageConnections; a refused call reaches no client.
func TestPoliciesHoldInvocationsAndConnections(t *testing.T) {
	rec := &invocations{}
	lam, conns := gateway.PolicedLambda(rec), gateway.PolicedConnections(rec)
	invoke := func(function, target string) error {
		_, err := lam.Invoke(asFunction(function), &lambda.InvokeInput{FunctionName: aws.String(target)})
		return err
	}
	for _, tc := range []struct {
		function, target string
		allowed          bool
	}{
		{"userBlock", "webhookDeliver", true},
		{"userBlock", "eraseUsers", false},
		{"userDeactivate", "eraseUsers", true},
		{"userInfo", "webhookDeliver", false},
		{"httpDefault", "userInfo", true},
		{"httpDefault", "eraseUsers", false},
	} {
		err := invoke(tc.function, tc.target)
		var api smithy.APIError
		if tc.allowed && err != nil || !tc.allowed && (!errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException") {
			t.Errorf("%s invoking %s: %v, want allowed %v", tc.function, tc.target, err, tc.allowed)
		}
	}
	if err := conns.Post(asFunction("userBlock"), "kick", nil); err != nil {
		t.Errorf("userBlock posting: %v", err)
	}
	for _, call := range []func() error{
		func() error { return conns.Post(asFunction("userInfo"), "refused", nil) },
		func() error { return conns.Delete(asFunction("userInfo"), "refused") },
	} {
		var api smithy.APIError
		if err := call(); !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
			t.Errorf("userInfo reaching a connection: %v, want AccessDeniedException", err)
		}
	}
	if err := conns.Delete(context.Background(), "fixture"); err != nil {
		t.Errorf("outside an invocation: %v", err)
	}
	want := []string{"invoke webhookDeliver", "invoke eraseUsers", "invoke userInfo", "post kick", "delete fixture"}
	if !slices.Equal(rec.calls, want) {
		t.Fatalf("calls that reached the clients: %q, want %q", rec.calls, want)
	}
}

// TestPoliciesHoldRealClients: the same rules over the SDK's Lambda client and the Management
// API client aimed at a running local stack. A granted post reaches the connected client and a
// granted Invoke is taken; a refused post never reaches it and a refused Invoke never leaves.
func TestPoliciesHoldRealClients(t *testing.T) {
	s := testenv.StartStack(t)
	app := s.Apps[0].Key
	conn := s.MustDial(t, s.Client(0).Register(t, "listener"))
	recorded, err := s.Service.Store.Connections(context.Background(), app, "listener", store.Strong)
	if err != nil || len(recorded) != 1 {
		t.Fatalf("connections %v, %v", recorded, err)
	}
	cfg := aws.Config{Region: localenv.Region, Credentials: localenv.Credentials(), HTTPClient: localenv.HTTPClient()}
	conns := gateway.PolicedConnections(connections.NewClient(cfg, s.URL))
	var api smithy.APIError
	if err := conns.Post(asFunction("userInfo"), recorded[0].ID, []byte(`{"type":"refused"}`)); !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("userInfo posting: %v, want AccessDeniedException", err)
	}
	if err := conns.Post(asFunction("messagePrivatePublish"), recorded[0].ID, []byte(`{"type":"granted"}`)); err != nil {
		t.Fatalf("messagePrivatePublish posting: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The first frame the client reads is the granted one: the refused one was never sent.
	if _, data, err := conn.Read(ctx); err != nil || string(data) != `{"type":"granted"}` {
		t.Fatalf("the client read %s, %v; want the granted frame first", data, err)
	}

	lam := gateway.PolicedLambda(lambdainvoke.New(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(s.URL) }))
	job, err := json.Marshal(users.Erasure{App: app, OperateID: "policy"})
	if err != nil {
		t.Fatal(err)
	}
	event := &lambda.InvokeInput{FunctionName: aws.String("eraseUsers"), InvocationType: lambdatypes.InvocationTypeEvent, Payload: job}
	if _, err := lam.Invoke(asFunction("userBlock"), event); !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("userBlock invoking the erasure: %v, want AccessDeniedException", err)
	}
	out, err := lam.Invoke(asFunction("userDeactivate"), event)
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("userDeactivate invoking the erasure: %v, %v; want 202", out, err)
	}
}
