package service

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
	} else if tr := b.GetTransport(); tr.MaxIdleConnsPerHost != IdleConnsPerHost || tr.MaxIdleConns < IdleConnsPerHost {
		t.Errorf("HTTP client keeps %d idle connections per host (%d in all), want %d", tr.MaxIdleConnsPerHost, tr.MaxIdleConns, IdleConnsPerHost)
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
