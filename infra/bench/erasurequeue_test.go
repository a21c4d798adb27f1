package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/infra/local/localenv"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
)

// TestQueueHoldsErasuresAndAcceptsEvents: through the SDK's Lambda client, an erasure job is
// held for drain and the webhook events a call raises are accepted without becoming a job.
func TestQueueHoldsErasuresAndAcceptsEvents(t *testing.T) {
	q := &erasureQueue{}
	url, stop, err := serve(q)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	lam := lambdainvoke.New(aws.Config{Region: localenv.Region, Credentials: localenv.Credentials(), HTTPClient: localenv.HTTPClient()},
		func(o *lambda.Options) { o.BaseEndpoint = aws.String(url) })
	invoke := func(function string, payload any) int32 {
		t.Helper()
		body, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		out, err := lam.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(function), InvocationType: types.InvocationTypeEvent, Payload: body})
		if err != nil {
			t.Fatalf("invoke %s: %v", function, err)
		}
		return out.StatusCode
	}
	if code := invoke(webhookFunction, webhooks.Batch{App: "app", Events: []webhooks.Event{{ID: "e1", Type: webhooks.Banned}}}); code != 202 {
		t.Fatalf("events answered %d, want 202", code)
	}
	if len(q.jobs) != 0 {
		t.Fatalf("events became jobs: %+v", q.jobs)
	}
	if code := invoke("eraseUsers", users.Erasure{App: "app", Users: []string{"gone"}, OperateID: "op"}); code != 202 {
		t.Fatalf("erasure answered %d, want 202", code)
	}
	if len(q.jobs) != 1 || q.jobs[0].App != "app" || len(q.jobs[0].Users) != 1 || q.jobs[0].Users[0] != "gone" {
		t.Fatalf("jobs %+v, want the one erasure", q.jobs)
	}
}
