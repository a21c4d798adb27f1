// Package webhookevents hands the webhook events a call raised to the delivery function, with
// the SDK's Lambda client: the users rules' Events, implemented for AWS.
package webhookevents

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
)

// Invoker is the part of the SDK's Lambda client (*lambda.Client) a Raiser uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Keeper stores events for the delivery schedule (webhooks.Keeper).
type Keeper interface {
	Keep(ctx context.Context, app string, events []webhooks.Event) error
}

// Raiser hands the events one call raised to the delivery function, all in one asynchronous
// invocation (InvocationType Event): Lambda queues them, so the call never waits for a
// receiver; an invocation that fails is retried by Lambda and then kept by its on-failure
// destination. When Lambda does not take the invocation at all, Keep stores the events in the
// table for the schedule's next run.
type Raiser struct {
	Lambda   Invoker
	Function string
	Keep     Keeper
	Log      *slog.Logger
}

var _ users.Events = (*Raiser)(nil)

// Raise queues events of app, or keeps them for the schedule when the invocation fails. A
// failure of both is logged, not returned: the change that raised them has committed, and the
// call answers for the change.
func (r *Raiser) Raise(ctx context.Context, app string, events ...webhooks.Event) {
	if len(events) == 0 {
		return
	}
	payload, err := json.Marshal(webhooks.Batch{App: app, Events: events})
	if err == nil {
		_, err = r.Lambda.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(r.Function), InvocationType: types.InvocationTypeEvent, Payload: payload,
		})
	}
	if err == nil {
		return
	}
	if r.Keep != nil {
		kept := r.Keep.Keep(ctx, app, events)
		if kept == nil {
			r.Log.Warn("webhook events kept for the schedule: not queued", "appKey", app, "events", len(events), "error", err.Error())
			return
		}
		err = errors.Join(err, kept)
	}
	r.Log.Error("webhook events lost: neither queued nor kept", "appKey", app, "events", len(events), "error", err.Error())
}
