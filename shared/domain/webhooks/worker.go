package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"imusers/shared/apps"
	"imusers/shared/store"
)

// Batch is what the delivery function is invoked with: the events one call raised, of one app,
// queued with one asynchronous Lambda invocation.
type Batch struct {
	App    string  `json:"app"`
	Events []Event `json:"events"`
}

// Worker delivers events: the first attempt when they are raised, later ones when they are due
// (the per-minute schedule, which also makes the attempts of replayed events).
type Worker struct {
	Apps   *apps.Registry
	Store  *store.Store
	Sender *Sender
	Log    *slog.Logger
	Now    func() time.Time
}

// Handle makes the first attempt of each event of a batch.
func (w *Worker) Handle(ctx context.Context, b Batch) error {
	app, ok := w.Apps.Lookup(b.App)
	if !ok {
		return fmt.Errorf("webhook events of an app not served: %q", b.App)
	}
	settings, err := w.Store.GetAppSettings(ctx, app.Key)
	if err != nil {
		return err
	}
	now := w.Now().UnixMilli()
	for _, ev := range b.Events {
		if err := w.attempt(ctx, app, Settings(settings.Webhook), ev, store.WebhookDelivery{App: app.Key, ID: ev.ID, First: now}); err != nil {
			return err
		}
	}
	return nil
}

// Retry makes the next attempt of every event now due.
func (w *Worker) Retry(ctx context.Context) error {
	due, err := w.Store.DueWebhooks(ctx, w.Now(), 100)
	if err != nil {
		return err
	}
	settings := map[string]Settings{}
	for _, d := range due {
		if err := w.again(ctx, d, settings); err != nil {
			return err
		}
		if err := w.Store.DeleteWebhookPending(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// again makes the next attempt of a kept event, with its app's settings (read once per run).
// An event of an app no longer served, or that cannot be read, is dropped.
func (w *Worker) again(ctx context.Context, d store.WebhookDelivery, settings map[string]Settings) error {
	app, ok := w.Apps.Lookup(d.App)
	var ev Event
	if !ok || json.Unmarshal([]byte(d.Event), &ev) != nil {
		w.Log.Error("webhook event dropped: unknown app or unreadable event", "appKey", d.App, "id", d.ID)
		return nil
	}
	s, ok := settings[d.App]
	if !ok {
		cur, err := w.Store.GetAppSettings(ctx, d.App)
		if err != nil {
			return err
		}
		s = Settings(cur.Webhook)
		settings[d.App] = s
	}
	return w.attempt(ctx, app, s, ev, d)
}

// attempt sends an event once, to where the app's settings say now, and keeps it for its next
// attempt or in the dead-letter store when that is its outcome. An event no longer wanted (the
// URL turned off, the type dropped) is dropped.
func (w *Worker) attempt(ctx context.Context, app apps.App, s Settings, ev Event, d store.WebhookDelivery) error {
	target, ok := s.Wants(ev.Type)
	if !ok {
		return nil
	}
	d.Attempts++
	a := w.Sender.Send(ctx, app, s.EffectiveFormat(), target, ev, d.Attempts)
	d.Status = a.Status
	log := w.Log.With("appKey", app.Key, "type", ev.Type, "id", ev.ID, "attempt", d.Attempts, "status", a.Status)
	if a.Err != nil {
		log = log.With("error", a.Err.Error())
	}
	if a.Outcome == Delivered {
		log.Info("webhook delivered")
		return nil
	}
	if d.Event == "" {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		d.Event = string(b)
	}
	now := w.Now()
	if next, ok := NextAttempt(d.Attempts, time.UnixMilli(d.First), now); ok && a.Outcome == Retry {
		d.Due = next.UnixMilli()
		log.Warn("webhook attempt failed; tried again later", "due", d.Due)
		return w.Store.PutWebhookPending(ctx, d)
	}
	log.Error("webhook event dead-lettered")
	return w.Store.PutWebhookDead(ctx, d, now)
}

// MaxReplay is how many dead-lettered events one replay moves; a call that moved that many
// may have left more.
const MaxReplay = 100

// DeadLetters is an app's dead-letter store, as its operator replays it.
type DeadLetters struct {
	Store *store.Store
	Now   func() time.Time
}

// Replay moves up to MaxReplay events of app's dead-letter store back among those waiting,
// due at once, with the retry rules starting over: the per-minute schedule makes their next
// attempt, with their ids and the next attempt numbers. It reports how many it moved.
func (d *DeadLetters) Replay(ctx context.Context, app string) (int, error) {
	now := d.Now()
	dead, err := d.Store.DeadWebhooks(ctx, app, now, MaxReplay)
	if err != nil {
		return 0, err
	}
	for i := range dead {
		dead[i].First, dead[i].Due = now.UnixMilli(), now.UnixMilli()
	}
	return len(dead), d.Store.RequeueDead(ctx, dead)
}
