package service

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"imusers/shared/aws/connections"
)

// The service's retry policy for every AWS call: a few quick attempts, each with its own
// timeout, so a call answers (1000 or 1050) well inside API Gateway's 30 seconds.
const (
	attemptTimeout = 3 * time.Second
	maxAttempts    = 4
	maxBackoff     = 300 * time.Millisecond
)

// AWSConfig is the AWS SDK configuration from the SDK's standard chain (what Lambda provides:
// region, the execution role's credentials, and AWS_ENDPOINT_URL_<SERVICE>, which the local
// twin uses), with the service's per-attempt timeout and retries. extra options run after, on
// the loaded configuration: the fault tests and the local twin set a region and credentials
// there and so run the very timeouts and retries that are deployed.
func AWSConfig(ctx context.Context, extra ...func(*aws.Config)) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		// A BuildableClient, so the SDK can still add AWS_CA_BUNDLE's certificates to it.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(attemptTimeout)),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.MaxBackoff = maxBackoff
			})
		}))
	if err != nil {
		return aws.Config{}, err
	}
	for _, f := range extra {
		f(&cfg)
	}
	return cfg, nil
}

// LambdaClient is the service's Lambda client. An asynchronous invocation (an erasure job)
// answers at once, so its attempts keep the per-attempt timeout; a synchronous one (the
// $default route's forwarding) lasts as long as the function runs, so its single attempt is
// bounded by its context alone.
func LambdaClient(cfg aws.Config, optFns ...func(*lambda.Options)) *lambda.Client {
	if c, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		cfg.HTTPClient = byInvocationType{event: c, requestResponse: c.WithTimeout(0)}
	}
	return lambda.NewFromConfig(cfg, optFns...)
}

// byInvocationType sends each Invoke with the HTTP client that suits its invocation type.
type byInvocationType struct{ event, requestResponse aws.HTTPClient }

func (c byInvocationType) Do(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-Amz-Invocation-Type") == "Event" {
		return c.event.Do(r)
	}
	return c.requestResponse.Do(r)
}

// ManagementClient is the client of a connection API's Management API at endpoint (the API's
// own URL with its stage in AWS, the local gateway's locally).
func ManagementClient(cfg aws.Config, endpoint string) *connections.Client {
	return connections.NewClient(cfg, endpoint)
}
