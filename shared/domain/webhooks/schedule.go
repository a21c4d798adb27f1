package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"imusers/shared/store"
)

// BanLookback is how far back the schedule looks for bans that ended unannounced: a run that
// failed is made up by the next, and bans that ended before webhooks existed are left alone.
const BanLookback = 24 * time.Hour

// Schedule is what runs every minute: the attempts that are due, the announcement of every
// ban that reached its end time, unreplaced and unlifted (user:ban_expired, within about two
// minutes of the end), and of every announced connection that lapsed without a $disconnect.
type Schedule struct {
	Worker *Worker
}

// Tick is the event the schedule (EventBridge) sends; its source is "aws.events".
type Tick struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// Run runs once, for a tick of the schedule; any other invocation is refused. Each part runs
// even when the other fails, and both failures are reported.
func (s *Schedule) Run(ctx context.Context, t Tick) error {
	if t.Source != "aws.events" || t.DetailType != "Scheduled Event" {
		return fmt.Errorf("not a scheduled event: source %q, detail-type %q", t.Source, t.DetailType)
	}
	return errors.Join(s.Worker.Retry(ctx), s.announceBanEnds(ctx), s.announceLapsed(ctx))
}

// announceBanEnds raises user:ban_expired for each app's bans that ended since the last run,
// taking each out of the banned users' index first so that it is announced once.
func (s *Schedule) announceBanEnds(ctx context.Context) error {
	w := s.Worker
	now := w.Now()
	var errs []error
	for _, app := range w.Apps.All() {
		ended, err := w.Store.EndedBans(ctx, app.Key, now.Add(-BanLookback).UnixMilli(), now.UnixMilli()+1, 100)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var evs []Event
		for _, b := range ended {
			ev, err := s.announce(ctx, app.Key, b, now)
			if err != nil {
				errs = append(errs, err)
			}
			if ev != nil {
				evs = append(evs, *ev)
			}
		}
		if len(evs) > 0 {
			errs = append(errs, w.Handle(ctx, Batch{App: app.Key, Events: evs}))
		}
	}
	return errors.Join(errs...)
}

// announce takes an ended ban out of the index and makes its event; nil when another run, an
// unblock or a new block got there first.
func (s *Schedule) announce(ctx context.Context, app string, b store.Ban, now time.Time) (*Event, error) {
	first, err := s.Worker.Store.AnnounceBanEnd(ctx, app, b)
	if err != nil || !first {
		return nil, err
	}
	ev := New(BanExpired, Data{UserID: b.User, EndTime: b.Until, Time: now.UnixMilli()})
	return &ev, nil
}
