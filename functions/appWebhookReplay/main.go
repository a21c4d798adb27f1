// Command appWebhookReplay is the Lambda function of the Server API's /app/webhook/replay.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/webhookapi"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("appWebhookReplay")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	api := &webhookapi.API{DeadLetters: &webhooks.DeadLetters{Store: st, Now: time.Now}}
	lambda.Start(serverapi.Handler(b, reg, st, api.Replay, nil))
}
