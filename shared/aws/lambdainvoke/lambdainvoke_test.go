package lambdainvoke_test

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

	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/service"
)

// isolate keeps the machine's own AWS settings out of a test.
func isolate(t *testing.T) {
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
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
	cfg, err := service.AWSConfig(context.Background(), func(c *aws.Config) {
		c.Region = "us-east-1"
		c.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		c.HTTPClient = awshttp.NewBuildableClient().WithTimeout(100 * time.Millisecond)
	})
	if err != nil {
		t.Fatal(err)
	}
	lam := lambdainvoke.New(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(srv.URL) })
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
	if got, want := calls.Load(), int32(cfg.Retryer().MaxAttempts()); got != want {
		t.Errorf("%d asynchronous attempts, want the service's %d", got, want)
	}
}
