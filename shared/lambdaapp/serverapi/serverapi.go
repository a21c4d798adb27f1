// Package serverapi makes a Server API operation its function's Lambda handler, with what every
// operation shares: the signature check, replay protection and the log line (httpapi.Server).
// Only the Server API functions import it; the others link no operation.
package serverapi

import (
	"context"
	"log/slog"
	"time"

	"imusers/shared/adapter/httpapi"
	"imusers/shared/api/call"
	"imusers/shared/apps"
	"imusers/shared/lambdaapp"
	"imusers/shared/service"
	"imusers/shared/store"
)

// Handler is the Lambda handler of b's function, serving op to requests that one of reg's apps
// signed: on its v1 paths, and through its v4 form on its v4 paths (v4 nil: the operation has
// none).
func Handler(b *lambdaapp.Boot, reg *apps.Registry, st *store.Store, op call.Handler, v4 *call.V4Form) func(context.Context, httpapi.Event) (httpapi.Response, error) {
	return Server(b.Config, reg, st, time.Now, b.Log).Lambda(b.Function, op, v4)
}

// Server is what the Server API's operations share under cfg: the signature window, and st
// recording nonces when replay protection is on.
func Server(cfg service.Config, reg *apps.Registry, st *store.Store, now func() time.Time, log *slog.Logger) *httpapi.Server {
	s := &httpapi.Server{Apps: reg, Window: cfg.SignatureWindow, Now: now, Log: log}
	if cfg.NonceReplayProtection {
		s.Nonces = st
	}
	return s
}
