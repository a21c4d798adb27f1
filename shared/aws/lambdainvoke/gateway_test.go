package lambdainvoke_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/service"
	"imusers/shared/testenv"
)

// The Lambda client a cold start builds, aimed by AWS_ENDPOINT_URL_LAMBDA at the local
// gateway's Invoke endpoint: an Event invocation is queued (202) and its function runs in the
// background; a RequestResponse one answers with the function's result.
func TestLambdaClientInvokesThroughTheLocalGateway(t *testing.T) {
	log := &testenv.SyncBuffer{}
	s := testenv.StartStackWith(t, testenv.Options{Log: log})
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", s.URL)
	cfg, err := service.AWSConfig(context.Background(), func(c *aws.Config) {
		c.Region = "us-east-1"
		c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	lam := lambdainvoke.New(cfg)
	ctx := context.Background()

	job, _ := json.Marshal(map[string]any{"app": s.Apps[0].Key, "users": []string{"nobody"}, "operateId": "op-through-the-gateway"})
	out, err := lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("imusers-eraseUsers"), InvocationType: types.InvocationTypeEvent, Payload: job})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("asynchronous invocation: %+v, %v", out, err)
	}
	s.Gateway.Wait()
	if !strings.Contains(log.String(), `"operateId":"op-through-the-gateway"`) {
		t.Errorf("the erasure job did not run:\n%s", log.String())
	}

	out, err = lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("imusers-userInfo"), InvocationType: types.InvocationTypeRequestResponse,
		Payload: []byte(`{"version":"2.0","rawPath":"/user/info.json","body":"userId=alice"}`)})
	if err != nil || out.StatusCode != 200 || out.FunctionError != nil {
		t.Fatalf("synchronous invocation: %+v, %v", out, err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	// Without the signature headers the operation itself refuses it: its response comes back.
	if err := json.Unmarshal(out.Payload, &resp); err != nil || resp.StatusCode != 400 || !strings.Contains(resp.Body, `"code":1002`) {
		t.Errorf("result %s", out.Payload)
	}

	if _, err := lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("noSuchFunction"), Payload: []byte(`{}`)}); err == nil {
		t.Error("an unknown function was invoked")
	} else {
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("unknown function: %v, want ResourceNotFoundException", err)
		}
	}
}
