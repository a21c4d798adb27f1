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
	if err := w.watch(ctx, app.Key, b.Events); err != nil {
		return err
	}
	now := w.Now().UnixMilli()
	s := Settings(settings.Webhook)
	for _, ev := range b.Events {
		if err := w.attempt(ctx, app, &s, ev, store.WebhookDelivery{App: app.Key, ID: ev.ID, First: now}); err != nil {
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
	settings := map[string]*Settings{}
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
func (w *Worker) again(ctx context.Context, d store.WebhookDelivery, settings map[string]*Settings) error {
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
		s = (*Settings)(&cur.Webhook)
		settings[d.App] = s
	}
	// An event the raising call kept (its hand-over to this function failed) has not been
	// here yet: a connection it announces is watched now, as Handle would have.
	if d.Attempts == 0 {
		if err := w.watch(ctx, d.App, []Event{ev}); err != nil {
			return err
		}
	}
	return w.attempt(ctx, app, s, ev, d)
}

// attempt sends an event once, to where the app's settings say now, and keeps it for its next
// attempt or in the dead-letter store when that is its outcome. An event no longer wanted (the
// URL turned off, the type dropped) is dropped. While the app's deliveries are paused the event
// is kept, unattempted, until the pause ends. s keeps the count of failures in a row as this
// run changes it.
func (w *Worker) attempt(ctx context.Context, app apps.App, s *Settings, ev Event, d store.WebhookDelivery) error {
	target, ok := s.Wants(ev.Type)
	if !ok {
		return nil
	}
	if until, paused := s.PausedUntil(); paused && w.Now().Before(until) {
		if err := keep(&d, ev); err != nil {
			return err
		}
		d.Due = until.UnixMilli()
		w.Log.Info("webhook deliveries paused; event kept", "appKey", app.Key, "type", ev.Type, "id", ev.ID, "due", d.Due)
		return w.Store.PutWebhookPending(ctx, d)
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
		return w.succeeded(ctx, app.Key, s)
	}
	if err := w.failed(ctx, app.Key, s); err != nil {
		return err
	}
	if err := keep(&d, ev); err != nil {
		return err
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

// keep puts the event into d, as kept between attempts, once.
func keep(d *store.WebhookDelivery, ev Event) error {
	if d.Event != "" {
		return nil
	}
	b, err := json.Marshal(ev)
	d.Event = string(b)
	return err
}

// Pause after repeated failures: after PauseAfter deliveries of an app failed in a row, its
// deliveries pause for PauseFor from the last failure (the contract's "after 20 consecutive
// failures an app's deliveries pause for 1 minute"). The attempt after a pause that fails again
// pauses them again; a delivery that succeeds (a test event among them) or a change of the
// webhook settings ends the count.
const (
	PauseAfter = 20
	PauseFor   = time.Minute
)

// PausedUntil is when the app's paused deliveries resume, if they are paused.
func (s Settings) PausedUntil() (time.Time, bool) {
	if s.Failures < PauseAfter {
		return time.Time{}, false
	}
	return time.UnixMilli(s.LastFailure).Add(PauseFor), true
}

// failed counts a failed delivery, in the store and in s.
func (w *Worker) failed(ctx context.Context, app string, s *Settings) error {
	now := w.Now()
	if err := w.Store.WebhookFailed(ctx, app, now); err != nil {
		return err
	}
	s.Failures++
	s.LastFailure = now.UnixMilli()
	if s.Failures == PauseAfter {
		w.Log.Warn("webhook deliveries paused after failures in a row", "appKey", app, "failures", s.Failures)
	}
	return nil
}

// succeeded starts the count of failures over; it costs a write only when there were some.
func (w *Worker) succeeded(ctx context.Context, app string, s *Settings) error {
	if s.Failures == 0 {
		return nil
	}
	if err := w.Store.WebhookSucceeded(ctx, app); err != nil {
		return err
	}
	s.Failures, s.LastFailure = 0, 0
	return nil
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
