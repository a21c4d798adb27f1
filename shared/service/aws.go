package service

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
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
