// Package lambdaapp is the cold start every function's main shares: read the service's
// configuration and the AWS SDK's, make the logger, load the apps where the function checks
// signatures or tokens, and end the cold start with a log line when any of it fails. It builds
// no AWS client and no handler: each main builds the ones its function uses, so that it links
// nothing else (functions/<name>/main.go).
package lambdaapp

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"

	"imusers/shared/apps"
	"imusers/shared/service"
)

// Boot is what a function's cold start has read.
type Boot struct {
	Function string         // the function's name in the route table (shared/routes)
	Config   service.Config // the service's settings (IM_*)
	AWS      aws.Config     // the SDK's configuration, for the function's clients
	Log      *slog.Logger   // one JSON line per request, to stdout (CloudWatch Logs)
}

// Init reads the configuration of the named function; it ends the cold start if it cannot.
func Init(function string) *Boot {
	b := &Boot{Function: function, Log: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	var err error
	b.Config, err = service.ConfigFromEnv(os.Getenv)
	b.Check(err)
	b.AWS, err = service.AWSConfig(context.Background())
	b.Check(err)
	return b
}

// Check ends the cold start with a log line when err is set: Lambda reports the failed init,
// and the next invocation tries a new one.
func (b *Boot) Check(err error) {
	if err != nil {
		b.Log.Error("cold start failed", "function", b.Function, "error", err.Error())
		os.Exit(1)
	}
}

// Apps loads the apps: from the SSM parameter IM_APPS_PARAMETER names, through fetch (the
// functions that load them pass ssmparam.Reader), or from IM_APPS or IM_APP_KEY and
// IM_APP_SECRET locally.
func (b *Boot) Apps(fetch apps.ParameterReader) *apps.Registry {
	reg, err := apps.Load(context.Background(), os.Getenv, fetch)
	b.Check(err)
	return reg
}

// ManagementEndpoint is the connection API's management endpoint, for a function that sends
// to or closes clients' connections; without one its cold start fails, not its first kick.
func (b *Boot) ManagementEndpoint() string {
	if b.Config.ManagementEndpoint == "" {
		b.Check(errors.New("IM_WS_MANAGEMENT_ENDPOINT is not set"))
	}
	return b.Config.ManagementEndpoint
}
