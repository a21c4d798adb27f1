// Command wsAuthorize is the Lambda function of the connection API's $connect authorizer.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/wsapi"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/aws/webhookevents"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("wsAuthorize")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	events := &webhookevents.Raiser{Lambda: lambdainvoke.New(b.AWS), Function: b.Config.WebhookFunction, Keep: &webhooks.Keeper{Store: st, Now: time.Now}, Log: b.Log}
	ws := &wsapi.Server{Users: &users.Service{Store: st, Apps: reg, Now: time.Now, Events: events, SettingsMaxAge: b.Config.SettingsMaxAge}, Log: b.Log}
	lambda.Start(ws.Authorize)
}
