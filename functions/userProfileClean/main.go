// Command userProfileClean is the Lambda function of the Server API's /user/profile/clean.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/profileapi"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/aws/webhookevents"
	"imusers/shared/domain/profiles"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("userProfileClean")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	events := &webhookevents.Raiser{Lambda: lambdainvoke.New(b.AWS), Function: b.Config.WebhookFunction, Keep: &webhooks.Keeper{Store: st, Now: time.Now}, Log: b.Log}
	api := &profileapi.API{Profiles: &profiles.Service{Store: st, Now: time.Now, Events: events}}
	lambda.Start(serverapi.Handler(b, reg, st, api.ProfileClean, profileapi.V4ProfileClean))
}
