// Command userUnblock is the Lambda function of the Server API's /user/unblock.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/userapi"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/aws/webhookevents"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("userUnblock")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	events := &webhookevents.Raiser{Lambda: lambdainvoke.New(b.AWS), Function: b.Config.WebhookFunction, Keep: &webhooks.Keeper{Store: st, Now: time.Now}, Log: b.Log}
	api := &userapi.API{Users: &users.Service{Store: st, Apps: reg, Now: time.Now, Events: events}}
	lambda.Start(serverapi.Handler(b, reg, st, api.Unblock, userapi.V4Unblock))
}
