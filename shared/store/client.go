package store

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// NewClient is the store's DynamoDB client, as a cold start builds it: the service's retry
// policy (four quick attempts, see service.AWSConfig) with DynamoDB's shorter base delay, the
// SDK DynamoDB client's own default. Its endpoint is the SDK's: the region's, or
// AWS_ENDPOINT_URL_DYNAMODB; optFns run last (tests aim it elsewhere).
func NewClient(awsCfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	retries := func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 4
			so.MaxBackoff = 300 * time.Millisecond
			so.BaseDelay = 25 * time.Millisecond
		})
	}
	return dynamodb.NewFromConfig(awsCfg, append([]func(*dynamodb.Options){retries}, optFns...)...)
}
