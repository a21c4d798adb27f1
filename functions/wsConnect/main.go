// Command wsConnect is the Lambda function of the connection API's $connect route.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/wsapi"
	"imusers/shared/lambdaapp"
)

func main() {
	b := lambdaapp.Init("wsConnect")
	// $connect does no I/O: the authorizer has recorded the connection.
	ws := &wsapi.Server{Log: b.Log}
	lambda.Start(ws.Connect)
}
