// Command wsConnect is the Lambda function of the connection API's $connect route. It reads no
// configuration and calls no AWS service: the authorizer has recorded the connection.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/wsconn"
)

func main() {
	lambda.Start(wsconn.Connect(slog.New(slog.NewJSONHandler(os.Stdout, nil))))
}
