// Package erasure deletes what deactivated and deleted users leave behind, asynchronously:
// the request that deactivates users starts it through an asynchronous Lambda invocation (the
// same call locally, against the local gateway's Lambda endpoint), and the worker continues
// itself with a new invocation when its own time runs short, so no user is too large to erase.
// The final sweep, which must wait for writes still in flight at the deactivation, is recorded
// in the table with its due time and started by the erasure function's own schedule, so no
// instance waits.
package erasure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/parallel"
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
	return s.queue(ctx, job)
}

var _ relations.Cleaner = (*Starter)(nil)

// CleanFriends queues the rest of a clean as a job of the erasure function.
func (s *Starter) CleanFriends(ctx context.Context, job relations.CleanJob) error {
	return s.queue(ctx, struct {
		CleanFriends relations.CleanJob `json:"cleanFriends"`
	}{job})
}

// queue hands the erasure function one job with an asynchronous invocation.
func (s *Starter) queue(ctx context.Context, job any) error {
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
	// passed is final; an earlier one records the final one, due then, which the schedule
	// starts, so such a straggling write is erased too.
	Settle time.Duration
	Now    func() time.Time
	// Events receives the webhook events of finished erasures; nil raises none.
	Events users.Events
	// Friends finishes the cleans handed over (its Later continues them again).
	Friends *relations.Service
}

// DefaultReserve is the Reserve of the deployed worker: enough to queue the rest of a job.
const DefaultReserve = 10 * time.Second

// Run is the Lambda handler: a tick of the schedule (EventBridge) starts the final sweeps that
// are due, a cleanFriends job finishes a clean; any other event is an erasure job.
func (w *Worker) Run(ctx context.Context, ev json.RawMessage) error {
	var kind struct {
		Source       string              `json:"source"`
		DetailType   string              `json:"detail-type"`
		CleanFriends *relations.CleanJob `json:"cleanFriends"`
	}
	err := json.Unmarshal(ev, &kind)
	switch {
	case err == nil && kind.Source == "aws.events" && kind.DetailType == "Scheduled Event":
		return w.Sweep(ctx)
	case err == nil && kind.CleanFriends != nil:
		if w.Friends == nil {
			return errors.New("a friend clean reached a worker that cannot run it")
		}
		return w.Friends.FinishClean(ctx, *kind.CleanFriends, func() bool {
			deadline, ok := ctx.Deadline()
			return ok && time.Until(deadline) < w.Reserve
		})
	}
	var job users.Erasure
	if err := json.Unmarshal(ev, &job); err != nil {
		return fmt.Errorf("erasure job: %w", err)
	}
	return w.Handle(ctx, job)
}

// Handle erases the job's users one after another and, if its time runs short, hands the
// unfinished rest to a new invocation. Before the settle time has passed it is a first sweep:
// it records the final one, due then, for the schedule, and returns. Every step is safe to
// repeat, so a retried or duplicated job only finishes the same work.
func (w *Worker) Handle(ctx context.Context, job users.Erasure) error {
	settled := time.UnixMilli(job.At).Add(w.Settle)
	final := !w.now().Before(settled)
	stop := func() bool {
		deadline, ok := ctx.Deadline()
		return ok && time.Until(deadline) < w.Reserve
	}
	var finished, swept []string
	defer func() { w.announce(ctx, job, finished) }()
	for i, user := range job.Users {
		done, err := w.Store.EraseRelated(ctx, job.App, user, stop)
		if err != nil {
			return fmt.Errorf("erase %s: %w", user, err)
		}
		if !done {
			// The users swept so far still need their final sweep; the rest goes on elsewhere.
			if err := w.later(ctx, job, swept, settled); err != nil {
				return err
			}
			rest := job
			rest.Users = job.Users[i:]
			return w.handOver(ctx, rest)
		}
		if !final {
			swept = append(swept, user)
			continue
		}
		if err := w.Store.FinishErasure(ctx, job.App, user, job.OperateID); err != nil {
			return err
		}
		finished = append(finished, user)
	}
	if !final {
		return w.later(ctx, job, swept, settled)
	}
	w.Log.Info("erasure finished", "app", job.App, "operateId", job.OperateID, "users", len(job.Users))
	return nil
}

// later records the final sweep of users, due when the job's writes have settled.
func (w *Worker) later(ctx context.Context, job users.Erasure, swept []string, settled time.Time) error {
	if len(swept) == 0 {
		return nil
	}
	job.Users = swept
	payload, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return w.Store.PutSweep(ctx, store.PendingSweep{
		ID: store.SweepID(job.App, job.OperateID, swept), Job: string(payload), Due: settled.UnixMilli(),
	})
}

// sweepBatch is how many due sweeps one query of a shard takes.
const sweepBatch = 100

// Sweep starts every final sweep that is due, each as an erasure job of its own (the sweeps of
// one run spread over as many invocations as there are jobs), and forgets it once started. A
// run that stops part way (time short, a failure) leaves the rest to the next; a sweep started
// twice only finishes the same work.
func (w *Worker) Sweep(ctx context.Context) error {
	now := w.now()
	errs := parallel.Do(ctx, store.SweepShards, store.SweepShards, func(ctx context.Context, shard int) error {
		for {
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < w.Reserve {
				return nil
			}
			due, err := w.Store.DueSweeps(ctx, shard, now, sweepBatch)
			if err != nil {
				return err
			}
			errs := parallel.Do(ctx, len(due), 10, func(ctx context.Context, i int) error {
				var job users.Erasure
				if err := json.Unmarshal([]byte(due[i].Job), &job); err != nil {
					// Nothing can run it: keeping it would stop this shard for good.
					w.Log.Error("final sweep unreadable, dropped", "id", due[i].ID, "error", err.Error())
					return w.Store.DeleteSweep(ctx, due[i])
				}
				if err := w.Next.Start(ctx, job); err != nil {
					return err
				}
				return w.Store.DeleteSweep(ctx, due[i])
			})
			if err := parallel.First(errs); err != nil {
				return err
			}
			if len(due) < sweepBatch {
				return nil
			}
		}
	})
	return errors.Join(errs...)
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
