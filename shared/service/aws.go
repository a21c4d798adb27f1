package service

import (
	"context"
	"net/http"
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

// IdleConnsPerHost is how many connections to one AWS endpoint the HTTP client keeps open
// between calls. A function instance serves one request at a time, but a request runs up to 32
// calls side by side (a message's deliveries; batch writes and kicks run 10): with the SDK's
// default of 10, every call past the tenth would open a TLS connection and close it after.
const IdleConnsPerHost = 32

// httpClient is the HTTP client of the service's AWS clients: the per-attempt timeout, and
// IdleConnsPerHost connections kept open to each endpoint. A BuildableClient, so the SDK can
// still add AWS_CA_BUNDLE's certificates to it (and a local process widen its pool).
func httpClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTimeout(attemptTimeout).WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = IdleConnsPerHost
		t.MaxIdleConns = max(t.MaxIdleConns, IdleConnsPerHost)
	})
}

// AWSConfig is the AWS SDK configuration from the SDK's standard chain (what Lambda provides:
// region, the execution role's credentials, and AWS_ENDPOINT_URL_<SERVICE>, which the local
// twin uses), with the service's per-attempt timeout and retries. extra options run after, on
// the loaded configuration: the fault tests and the local twin set a region and credentials
// there and so run the very timeouts and retries that are deployed.
func AWSConfig(ctx context.Context, extra ...func(*aws.Config)) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithHTTPClient(httpClient()),
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
