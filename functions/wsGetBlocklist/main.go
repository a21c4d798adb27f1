// Command wsGetBlocklist is the Lambda function of the connection API's getBlocklist route.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/wsapi"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/relations"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("wsGetBlocklist")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	ws := &wsapi.Server{Relations: &relations.Service{Store: st, Now: time.Now}, Apps: reg, Log: b.Log}
	lambda.Start(ws.GetBlocklist)
}
