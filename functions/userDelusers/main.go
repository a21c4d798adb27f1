// Command userDelusers is the Lambda function of the Server API's /user/delusers.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/userapi"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/erasure"
	"imusers/shared/domain/users"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("userDelusers")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	eraser := &erasure.Starter{Lambda: lambdainvoke.New(b.AWS), Function: b.Config.EraseFunction}
	conns := connections.NewClient(b.AWS, b.ManagementEndpoint())
	api := &userapi.API{Users: &users.Service{Store: st, Eraser: eraser, Conns: conns, Apps: reg, Now: time.Now}}
	lambda.Start(serverapi.Handler(b, reg, st, api.DeleteUsers, nil))
}
