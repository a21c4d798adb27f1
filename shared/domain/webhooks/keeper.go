package webhooks

import (
	"context"
	"time"

	"imusers/shared/store"
)

// Keeper keeps in the table, due at once, the events a call raised when handing them to the
// delivery function failed (Lambda refused or could not be reached after the SDK's retries):
// the schedule's next run makes their first attempt, so an event whose change has committed is
// not lost with the invocation. One batched write for all of a call's events.
type Keeper struct {
	Store *store.Store
	Now   func() time.Time
}

// Keep stores events of app for their first attempt.
func (k *Keeper) Keep(ctx context.Context, app string, events []Event) error {
	now := k.Now().UnixMilli()
	ds := make([]store.WebhookDelivery, 0, len(events))
	for _, ev := range events {
		d := store.WebhookDelivery{App: app, ID: ev.ID, First: now, Due: now}
		if err := keep(&d, ev); err != nil {
			return err
		}
		ds = append(ds, d)
	}
	return k.Store.PutWebhooksPending(ctx, ds)
}
