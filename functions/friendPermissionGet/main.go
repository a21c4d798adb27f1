// Command friendPermissionGet is the Lambda function of the Server API's /friend/permission/get.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/relationapi"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/relations"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("friendPermissionGet")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	api := &relationapi.API{Relations: &relations.Service{Store: st, Now: time.Now}}
	lambda.Start(serverapi.Handler(b, reg, st, api.FriendPermissionGet, relationapi.V4FriendPermissionGet))
}
