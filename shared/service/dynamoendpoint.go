package service

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// dynamoEndpoint is where shared/dynamo's calls go: the endpoint the SDK's DynamoDB client
// would call with cfg (AWS_ENDPOINT_URL_DYNAMODB, else the region's, as its own rules say).
// It lives only while the store speaks through shared/dynamo instead of that client.
func dynamoEndpoint(ctx context.Context, cfg aws.Config) (string, error) {
	o := dynamodb.NewFromConfig(cfg).Options()
	ep, err := dynamodb.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, dynamodb.EndpointParameters{
		Region:       aws.String(o.Region),
		Endpoint:     o.BaseEndpoint,
		UseFIPS:      aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack: aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
	})
	if err != nil {
		return "", err
	}
	return ep.URI.String(), nil
}
