// Package webhookapi implements the Server API's webhook operation: replaying the app's
// dead-letter store (the settings are on /app/setting/set.json, in relationapi).
package webhookapi

import (
	"context"

	"imusers/shared/api/call"
	"imusers/shared/domain/webhooks"
)

// API serves the webhook operations.
type API struct {
	DeadLetters *webhooks.DeadLetters
}

// Replay: /app/webhook/replay.json (ours). It takes no parameter and answers how many
// dead-lettered events it queued again; a call that queued 100 may have left more.
func (a *API) Replay(ctx context.Context, r *call.Request) (any, error) {
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	n, err := a.DeadLetters.Replay(ctx, r.App.Key)
	if err != nil {
		return nil, err
	}
	return struct {
		Replayed int `json:"replayed"`
	}{n}, nil
}
