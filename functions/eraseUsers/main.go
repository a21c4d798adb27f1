// Command eraseUsers is the Lambda function that erases deactivated and deleted users' data,
// invoked asynchronously by userDeactivate, userDelusers and itself.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/domain/erasure"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("eraseUsers")
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	next := &erasure.Starter{Lambda: lambdainvoke.New(b.AWS), Function: b.Config.EraseFunction}
	w := &erasure.Worker{Store: st, Next: next, Log: b.Log, Reserve: erasure.DefaultReserve, Settle: b.Config.ErasureSettle, Now: time.Now}
	lambda.Start(w.Handle)
}
