// Command minimal is the cold-start baseline of the benchmark: the smallest aws-lambda-go
// function there is, built with the same flags as the service's functions. Built with no
// client tag it is the bare handler; with the tags bench_dynamodb, bench_lambda,
// bench_management and bench_ssm it also loads the SDK's configuration and creates those SDK
// clients at init, as a function that uses them does (with SSM, it also reads the apps'
// parameter once, as those functions do), so the report can say how much of a function's init
// is the service's own and how much the SDK's.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

// atInit creates the clients built in (one file per client, each behind its build tag).
var atInit []func()

func main() {
	for _, f := range atInit {
		f()
	}
	lambda.Start(func(context.Context, map[string]any) (map[string]int, error) {
		return map[string]int{"statusCode": 200}, nil
	})
}
