// Command webhookSchedule is the Lambda function that runs every minute (an EventBridge
// schedule): the webhook attempts that are due, and the announcement of bans that ended.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("webhookSchedule")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	sender := webhooks.NewSender(webhooks.Policy{AllowLoopback: b.Config.WebhookAllowLoopback}, time.Now)
	s := &webhooks.Schedule{Worker: &webhooks.Worker{Apps: reg, Store: st, Sender: sender, Log: b.Log, Now: time.Now}}
	lambda.Start(s.Run)
}
