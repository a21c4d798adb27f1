// Command httpDefault is the Lambda function of the HTTP API's $default route: it forwards a
// request whose path no route matched to the operation's own function.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/httpdefault"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/lambdaapp"
	"imusers/shared/routes"
)

func main() {
	b := lambdaapp.Init("httpDefault")
	f := &httpdefault.Fallback{Lookup: routes.FunctionFor, Functions: lambdainvoke.New(b.AWS), Prefix: b.Config.FunctionPrefix, Log: b.Log}
	lambda.Start(f.Handle)
}
