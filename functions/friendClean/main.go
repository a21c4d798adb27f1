// Command friendClean is the Lambda function of the Server API's /friend/clean.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/relationapi"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/erasure"
	"imusers/shared/domain/relations"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("friendClean")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	later := &erasure.Starter{Lambda: lambdainvoke.New(b.AWS), Function: b.Config.EraseFunction}
	api := &relationapi.API{Relations: &relations.Service{Store: st, Now: time.Now, Later: later}}
	lambda.Start(serverapi.Handler(b, reg, st, api.FriendClean, relationapi.V4FriendClean))
}
