// Command console is the Lambda function of the HTTP API's GET /console/ routes: the operator
// console's page and files, embedded in the binary. It reads no configuration and calls no AWS
// service; the page calls the Server API itself.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/console"
)

func main() {
	lambda.Start(console.Handle)
}
