// Command wsSendMessage is the Lambda function of the connection API's sendMessage route.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/adapter/wsapi"
	"imusers/shared/aws/connections"
	"imusers/shared/domain/messages"
	"imusers/shared/domain/users"
	"imusers/shared/lambdaapp"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("wsSendMessage")
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	conns := connections.NewClient(b.AWS, b.ManagementEndpoint())
	msgs := &messages.Service{Store: st, Conns: conns, Now: time.Now, Log: b.Log, SettingsMaxAge: b.Config.SettingsMaxAge}
	ws := &wsapi.Server{Users: &users.Service{Store: st, Now: time.Now}, Messages: msgs, Log: b.Log}
	lambda.Start(ws.SendMessage)
}
