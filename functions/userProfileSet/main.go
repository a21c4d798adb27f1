// Command userProfileSet is the Lambda function of the Server API's /user/profile/set.json.
package main

import (
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/api/profileapi"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/domain/profiles"
	"imusers/shared/lambdaapp"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/store"
)

func main() {
	b := lambdaapp.Init("userProfileSet")
	reg := b.Apps(ssmparam.Reader(b.AWS))
	st := store.New(store.NewClient(b.AWS), b.Config.Table)
	api := &profileapi.API{Profiles: &profiles.Service{Store: st, Now: time.Now}}
	lambda.Start(serverapi.Handler(b, reg, st, api.ProfileSet, profileapi.V4ProfileSet))
}
