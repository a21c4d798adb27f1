//go:build bench_dynamodb || bench_lambda || bench_management || bench_ssm

package main

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// keep holds the clients, as a function's service holds its own.
var keep []any

// awsConfig loads the SDK's configuration once, from the standard chain, as every function does.
var awsConfig = sync.OnceValue(func() aws.Config {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	return cfg
})
