//go:build bench_management

package main

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
)

func init() {
	atInit = append(atInit, func() {
		endpoint := os.Getenv("IM_WS_MANAGEMENT_ENDPOINT")
		if endpoint == "" {
			endpoint = "https://example.execute-api.us-east-1.amazonaws.com/prod"
		}
		keep = append(keep, apigatewaymanagementapi.NewFromConfig(awsConfig(), func(o *apigatewaymanagementapi.Options) {
			o.BaseEndpoint = aws.String(endpoint)
		}))
	})
}
