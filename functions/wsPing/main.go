// Command wsPing is the Lambda function of the connection API's ping route.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/wsapi"
	"imusers/shared/domain/users"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("wsPing")
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	ws := &wsapi.Server{Users: &users.Service{Store: st, Now: time.Now}, Log: b.Log}
	lambda.Start(ws.Ping)
}
