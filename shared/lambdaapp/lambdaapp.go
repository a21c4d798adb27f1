// Package lambdaapp is what every function's main runs: build the service once per cold start,
// then serve the function's handler from the assembly.
package lambdaapp

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/apps"
	"imusers/shared/assembly"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/lambdainvoke"
	"imusers/shared/aws/ssmparam"
	"imusers/shared/service"
	"imusers/shared/store"
)

// Start serves the named function and never returns.
func Start(name string) {
	h, err := load(context.Background(), name)
	if err != nil {
		slog.Error("cold start failed", "function", name, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

// load builds the whole service from the process environment and the AWS configuration and
// returns the named function's handler. Endpoints can be redirected with the SDK's own
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_LAMBDA and AWS_ENDPOINT_URL_SSM.
func load(ctx context.Context, name string) (any, error) {
	cfg, err := service.ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := service.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	reg, err := apps.Load(ctx, os.Getenv, ssmparam.Reader(awsCfg))
	if err != nil {
		return nil, err
	}
	deps := assembly.Deps{Apps: reg, DB: store.NewClient(awsCfg), Lambda: lambdainvoke.New(awsCfg)}
	if cfg.ManagementEndpoint != "" {
		deps.Connections = connections.NewClient(awsCfg, cfg.ManagementEndpoint)
	}
	return assembly.New(cfg, deps).Handler(name)
}
