//go:build bench_dynamodb

package main

import "github.com/aws/aws-sdk-go-v2/service/dynamodb"

func init() {
	atInit = append(atInit, func() { keep = append(keep, dynamodb.NewFromConfig(awsConfig())) })
}
