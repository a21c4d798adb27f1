package service

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// isolate keeps the machine's own AWS settings out of a test.
func isolate(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
}

// What Lambda puts in a function's environment makes the configuration, with the service's
// per-attempt timeout and its few quick attempts.
func TestAWSConfigFromTheEnvironmentLambdaProvides(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_REGION", "eu-central-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "token")
	cfg, err := AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-central-1" {
		t.Errorf("region %q", cfg.Region)
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != "AKIDENV" || c.SecretAccessKey != "secret" || c.SessionToken != "token" {
		t.Errorf("credentials %+v, %v", c, err)
	}
	if r := cfg.Retryer(); r.MaxAttempts() != maxAttempts {
		t.Errorf("retryer allows %d attempts, want the service's %d", r.MaxAttempts(), maxAttempts)
	}
	if b, ok := cfg.HTTPClient.(*awshttp.BuildableClient); !ok || b.GetTimeout() != attemptTimeout {
		t.Errorf("HTTP client %T without the service's %s per attempt", cfg.HTTPClient, attemptTimeout)
	}
}

func TestAWSConfigExtraOptionsRunLast(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_REGION", "eu-west-1")
	cfg, err := AWSConfig(context.Background(), func(c *aws.Config) {
		c.Region = "us-east-1"
		c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cfg.Credentials.Retrieve(context.Background())
	if cfg.Region != "us-east-1" || c.AccessKeyID != "local" || cfg.Retryer().MaxAttempts() != maxAttempts {
		t.Fatalf("region %q, key %q, attempts %d", cfg.Region, c.AccessKeyID, cfg.Retryer().MaxAttempts())
	}
}

// An asynchronous invocation is cut at the per-attempt timeout and retried; a synchronous one
// runs as long as the function does, in one attempt.
func TestLambdaClientTimesOnlyAsynchronousAttempts(t *testing.T) {
	isolate(t)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		time.Sleep(300 * time.Millisecond)
		if r.Header.Get("X-Amz-Invocation-Type") == "Event" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	cfg, err := AWSConfig(context.Background(), func(c *aws.Config) {
		c.Region = "us-east-1"
		c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		c.HTTPClient = awshttp.NewBuildableClient().WithTimeout(100 * time.Millisecond)
	})
	if err != nil {
		t.Fatal(err)
	}
	lam := LambdaClient(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	ctx := context.Background()

	out, err := lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeRequestResponse,
		Payload: []byte(`{}`)}, func(o *lambda.Options) { o.Retryer = aws.NopRetryer{} })
	if err != nil || string(out.Payload) != `{"ok":true}` || calls.Load() != 1 {
		t.Fatalf("synchronous: %v, %v after %d calls", out, err, calls.Load())
	}

	calls.Store(0)
	if _, err := lam.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f"), InvocationType: types.InvocationTypeEvent,
		Payload: []byte(`{}`)}); err == nil {
		t.Fatal("an asynchronous attempt outlasted the per-attempt timeout")
	}
	if got := calls.Load(); got != maxAttempts {
		t.Errorf("%d asynchronous attempts, want %d", got, maxAttempts)
	}
}
