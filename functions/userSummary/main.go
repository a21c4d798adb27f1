// Command userSummary is the Lambda function of the Server API's /user/summary.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/userapi"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/users"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("userSummary")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	api := &userapi.API{Users: &users.Service{Store: st, Apps: reg, Now: time.Now}}
	lambda.Start(serverapi.Handler(b, reg, st, api.Summary, nil))
}
