// Command wsDisconnect is the Lambda function of the connection API's $disconnect route.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/wsapi"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/webhookevents"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("wsDisconnect")
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	events := &webhookevents.Raiser{Lambda: lambdainvoke.New(b.AWS), Function: b.Config.WebhookFunction, Keep: &webhooks.Keeper{Store: st, Now: time.Now}, Log: b.Log}
	ws := &wsapi.Server{Users: &users.Service{Store: st, Now: time.Now, Events: events}, Log: b.Log}
	lambda.Start(ws.Disconnect)
}
