// Command messagePrivatePublish is the Lambda function of the Server API's /message/private/publish.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/messageapi"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/messages"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("messagePrivatePublish")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	conns := connections.NewClient(b.AWS, b.ManagementEndpoint())
	api := &messageapi.API{Messages: &messages.Service{Store: st, Conns: conns, Now: time.Now, Log: b.Log}}
	lambda.Start(serverapi.Handler(b, reg, st, api.PrivatePublish, nil))
}
