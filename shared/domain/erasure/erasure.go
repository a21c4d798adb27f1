// Package erasure deletes what deactivated and deleted users leave behind, asynchronously:
// the request that deactivates users starts it through an asynchronous Lambda invocation (the
// same call locally, against the local gateway's Lambda endpoint), and the worker continues
// itself with a new invocation when its own time runs short, so no user is too large to erase.
package erasure

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/store"
)

// Invoker is the part of the SDK's Lambda client (*lambda.Client) a Starter uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Starter starts erasures by invoking the erasure function asynchronously (InvocationType
// Event): Lambda queues the job, retries it on failure, and the caller does not wait. The
// client's retryer may repeat the call: a job queued twice only finishes the same work.
type Starter struct {
	Lambda   Invoker
	Function string
}

var _ users.Eraser = (*Starter)(nil)

// Start queues one erasure job.
func (s *Starter) Start(ctx context.Context, job users.Erasure) error {
	payload, err := json.Marshal(job)
	if err != nil {
		return err
	}
	_, err = s.Lambda.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(s.Function), InvocationType: types.InvocationTypeEvent, Payload: payload,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", s.Function, err)
	}
	return nil
}

// Worker erases users' data.
type Worker struct {
	Store *store.Store
	// Next continues an unfinished job (normally a Starter invoking this same function).
	Next users.Eraser
	Log  *slog.Logger
	// Reserve is the time kept back before the invocation's deadline to hand over the rest.
	Reserve time.Duration
	// Settle is how long after a deactivation a write that read the user as still active may
	// land (the longest an API function runs, plus a margin). A sweep that starts once it has
	// passed is final; an earlier one is repeated then, so such a straggling write is erased too.
	Settle time.Duration
	Now    func() time.Time
	// Events receives the webhook events of finished erasures; nil raises none.
	Events users.Events
}

// DefaultReserve is the Reserve of the deployed worker: enough to queue the rest of a job.
const DefaultReserve = 10 * time.Second

// Handle is the Lambda handler: it erases the job's users one after another and, if its time
// runs short, hands the unfinished rest to a new invocation. Every step is safe to repeat, so a
// retried or duplicated job only finishes the same work.
func (w *Worker) Handle(ctx context.Context, job users.Erasure) error {
	settled := time.UnixMilli(job.At).Add(w.Settle)
	final := !w.now().Before(settled)
	stop := func() bool {
		deadline, ok := ctx.Deadline()
		return ok && time.Until(deadline) < w.Reserve
	}
	var finished []string
	defer func() { w.announce(ctx, job, finished) }()
	for i, user := range job.Users {
		done, err := w.Store.EraseRelated(ctx, job.App, user, stop)
		if err != nil {
			return fmt.Errorf("erase %s: %w", user, err)
		}
		if !done {
			rest := job
			rest.Users = job.Users[i:]
			return w.handOver(ctx, rest)
		}
		if !final {
			continue
		}
		if err := w.Store.FinishErasure(ctx, job.App, user, job.OperateID); err != nil {
			return err
		}
		finished = append(finished, user)
	}
	if !final {
		// The first sweep erased what was there at once; the final one waits for stragglers.
		wait := settled.Sub(w.now())
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline)-wait < w.Reserve {
			return w.handOver(ctx, job)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		return w.Handle(ctx, job)
	}
	w.Log.Info("erasure finished", "app", job.App, "operateId", job.OperateID, "users", len(job.Users))
	return nil
}

// announce raises the webhook events of the users whose erasure this invocation finished:
// user:deactivation_erased, and for a deactivation user:activation_state (0, deactivated),
// which the platform sends only once erasure is done.
func (w *Worker) announce(ctx context.Context, job users.Erasure, finished []string) {
	if w.Events == nil || len(finished) == 0 {
		return
	}
	reason, deactivated := job.Reason, 0
	if reason == "" {
		reason = users.ReasonDeactivated
	}
	now := w.now().UnixMilli()
	var evs []webhooks.Event
	for _, u := range finished {
		evs = append(evs, webhooks.New(webhooks.DeactivationErased, webhooks.Data{UserID: u, OperateID: job.OperateID, Reason: reason, Time: now}))
		if reason == users.ReasonDeactivated {
			evs = append(evs, webhooks.New(webhooks.ActivationState, webhooks.Data{UserID: u, OperateID: job.OperateID, OperationType: &deactivated, Code: "0", Time: now}))
		}
	}
	w.Events.Raise(ctx, job.App, evs...)
}

// handOver continues job in a new invocation.
func (w *Worker) handOver(ctx context.Context, job users.Erasure) error {
	w.Log.Info("erasure continues in a new invocation", "app", job.App, "operateId", job.OperateID, "users", len(job.Users))
	return w.Next.Start(context.WithoutCancel(ctx), job)
}

func (w *Worker) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}
