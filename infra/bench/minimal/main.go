// Command minimal is the cold-start baseline of the benchmark: the smallest aws-lambda-go
// function there is, built with the same flags as the service's functions, so the report can
// say how much of a function's init is the service's own.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (map[string]int, error) {
		return map[string]int{"statusCode": 200}, nil
	})
}
