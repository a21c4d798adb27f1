// Command appWebhookTest is the Lambda function of the Server API's /app/webhook/test.json.
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
	b := lambdaapp.Init("appWebhookTest")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	sender := webhooks.NewSender(webhooks.Policy{AllowLoopback: b.Config.WebhookAllowLoopback}, time.Now)
	api := &webhookapi.API{Worker: &webhooks.Worker{Apps: reg, Store: st, Sender: sender, Log: b.Log, Now: time.Now}}
	lambda.Start(serverapi.Handler(b, reg, st, api.Test, nil))
}
