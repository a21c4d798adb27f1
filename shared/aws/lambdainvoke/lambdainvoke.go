// Package lambdainvoke builds the service's Lambda client, for the functions that invoke others:
// the erasure jobs (asynchronous) and the $default route's forwarding (synchronous).
package lambdainvoke

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// New is the service's Lambda client. An asynchronous invocation (an erasure job) answers at
// once, so its attempts keep the per-attempt timeout of cfg (service.AWSConfig); a synchronous
// one (the $default route's forwarding) lasts as long as the function runs, so its single
// attempt is bounded by its context alone.
func New(cfg aws.Config, optFns ...func(*lambda.Options)) *lambda.Client {
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
