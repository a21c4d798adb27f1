// Command webhookDeliver is the Lambda function that delivers the webhook events a call raised,
// invoked asynchronously by the functions that raise them.
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
	b := lambdaapp.Init("webhookDeliver")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	sender := webhooks.NewSender(webhooks.Policy{AllowLoopback: b.Config.WebhookAllowLoopback}, time.Now)
	w := &webhooks.Worker{Apps: reg, Store: st, Sender: sender, Log: b.Log, Now: time.Now}
	lambda.Start(w.Handle)
}
