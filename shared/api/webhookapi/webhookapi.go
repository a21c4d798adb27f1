// Package webhookapi implements the Server API's webhook operations: a test event sent at once
// to the app's receiver, and the replay of the app's dead-letter store (the settings are on
// /app/setting/set.json, in relationapi).
package webhookapi

import (
	"context"
	"errors"

	"imusers/shared/api/call"
	"imusers/shared/domain/webhooks"
	"imusers/shared/wire/apierr"
)

// API serves the webhook operations; each function is handed the part its operation uses.
type API struct {
	DeadLetters *webhooks.DeadLetters
	Worker      *webhooks.Worker
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

// Test: /app/webhook/test.json (ours). It takes no parameter, sends one webhook:test event to
// the app's webhookUrl and answers whether the receiver took it. A receiver that fails is an
// answer, not an error: the call itself succeeded.
func (a *API) Test(ctx context.Context, r *call.Request) (any, error) {
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	res, err := a.Worker.SendTest(ctx, r.App)
	if errors.Is(err, webhooks.ErrNoURL) {
		return nil, apierr.New(apierr.BadParam, "%s", webhooks.ErrNoURL.Error())
	}
	if err != nil {
		return nil, err
	}
	return struct {
		Delivered  bool   `json:"delivered"`
		HTTPStatus int    `json:"httpStatus"`
		Error      string `json:"error,omitempty"`
	}{res.Delivered, res.Status, res.Reason}, nil
}
