// Command eraseUsers is the Lambda function that erases deactivated and deleted users' data,
// invoked asynchronously by userDeactivate, userDelusers and itself, and every minute (an
// EventBridge schedule) to start the final sweeps that are due; it also finishes the friend
// cleans that friendClean ran short of time for.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/webhookevents"
	"imusers/shared/domain/erasure"
	"imusers/shared/domain/relations"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("eraseUsers")
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	lam := lambdainvoke.New(b.AWS)
	next := &erasure.Starter{Lambda: lam, Function: b.Config.EraseFunction}
	events := &webhookevents.Raiser{Lambda: lam, Function: b.Config.WebhookFunction, Keep: &webhooks.Keeper{Store: st, Now: time.Now}, Log: b.Log}
	friends := &relations.Service{Store: st, Now: time.Now, Later: next}
	w := &erasure.Worker{Store: st, Next: next, Log: b.Log, Reserve: erasure.DefaultReserve, Settle: b.Config.ErasureSettle, Now: time.Now, Events: events, Friends: friends}
	lambda.Start(w.Run)
}
