//go:build bench_lambda

package main

import awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

func init() {
	atInit = append(atInit, func() { keep = append(keep, awslambda.NewFromConfig(awsConfig())) })
}
