// Package lambdaapp is what every function's main runs: build the service once per cold start,
// then serve the function's route from the route table.
package lambdaapp

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"imusers/shared/routes"
	"imusers/shared/service"
)

// Start serves the named function and never returns.
func Start(name string) {
	svc, err := service.Load(context.Background())
	if err != nil {
		slog.Error("cold start failed", "function", name, "error", err.Error())
		os.Exit(1)
	}
	h, err := Handler(svc, name)
	if err != nil {
		slog.Error("cold start failed", "function", name, "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h)
}

// Handler returns the Lambda handler of the named function.
func Handler(svc *service.Service, name string) (any, error) {
	r, ok := routes.ByName(name)
	if !ok {
		return nil, fmt.Errorf("no function %q in the route table", name)
	}
	switch r.Kind {
	case routes.HTTP:
		return svc.HTTP.Lambda(r.Name, r.Handler(svc)), nil
	case routes.Worker:
		return svc.Erasure.Handle, nil
	case routes.Default:
		return svc.Fallback(serverAPIFunction).Handle, nil
	case routes.WebSocket, routes.Authorizer:
		return r.Lambda(svc), nil
	}
	return nil, fmt.Errorf("function %q has unknown kind %q", name, r.Kind)
}

func serverAPIFunction(path string) (string, bool) {
	r, ok := routes.ByPath(path)
	return r.Name, ok
}
