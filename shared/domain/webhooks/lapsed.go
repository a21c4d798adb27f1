package webhooks

import (
	"context"
	"errors"
	"slices"

	"imusers/shared/store"
)

// LapsedReason is the reason our nexconn body gives for a connection announced offline because
// it lapsed (API Gateway's idle or age limit) without its $disconnect; the platform's body has
// no field for it.
const LapsedReason = "lapsed"

// lapseAfter is how long after its last recorded frame a connection may count as open
// (store.Conn.Live): the earliest a connection can have lapsed.
var lapseAfter = (store.ConnectionIdle + store.SeenRefresh).Milliseconds()

// watch starts watching the connections an event batch announces as opened, so that one whose
// $disconnect never comes is found when it lapses. It runs in the delivery function, never in
// the connect: a connection announced is one whose app wants connection events.
func (w *Worker) watch(ctx context.Context, app string, events []Event) error {
	for _, ev := range events {
		d := ev.Data
		if ev.Type != ConnectionStatus || d.Status != "0" || d.SessionID == "" || d.UserID == "" {
			continue
		}
		cw := store.ConnWatch{App: app, User: d.UserID, Conn: d.SessionID, ClientIP: d.ClientIP, Due: d.Time + lapseAfter}
		if err := w.Store.PutConnWatch(ctx, cw, w.Now()); err != nil {
			return err
		}
	}
	return nil
}

// announceLapsed looks at the watched connections that are due: one gone (its $disconnect or
// a kick came) is no longer watched; one still open is looked at again when it could next have
// lapsed; one lapsed is forgotten and announced offline (status "1"), once, as its
// $disconnect would have.
func (s *Schedule) announceLapsed(ctx context.Context) error {
	w := s.Worker
	now := w.Now()
	due, err := w.Store.DueConnWatches(ctx, now, 100)
	if err != nil || len(due) == 0 {
		return err
	}
	next := make([]int64, len(due)) // 0: the watch ends
	byApp := map[string][]int{}
	for i, cw := range due {
		if _, ok := w.Apps.Lookup(cw.App); ok {
			byApp[cw.App] = append(byApp[cw.App], i)
		}
	}
	var errs []error
	for app, idx := range byApp {
		evs, err := s.lapsed(ctx, app, due, idx, next, now.UnixMilli())
		if err != nil {
			errs = append(errs, err)
			for _, i := range idx {
				next[i] = due[i].Due // looked at again on the next run
			}
		}
		if len(evs) > 0 {
			errs = append(errs, w.Handle(ctx, Batch{App: app, Events: evs}))
		}
	}
	return errors.Join(append(errs, w.Store.UpdateConnWatches(ctx, due, next, now))...)
}

// lapsed judges an app's due watches (due[i] for i in idx) on its users' connections, read in
// one batch, sets each one's next due time, and returns the offline events of those lapsed.
func (s *Schedule) lapsed(ctx context.Context, app string, due []store.ConnWatch, idx []int, next []int64, now int64) ([]Event, error) {
	var users []string
	for _, i := range idx {
		if !slices.Contains(users, due[i].User) {
			users = append(users, due[i].User)
		}
	}
	conns, err := s.Worker.Store.ConnectionsOf(ctx, app, users, store.Strong)
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, i := range idx {
		cw := due[i]
		at := slices.IndexFunc(conns[cw.User], func(c store.Conn) bool { return c.ID == cw.Conn })
		if at < 0 {
			continue // gone, and announced by whatever took it away
		}
		if c := conns[cw.User][at]; c.Live(now) {
			next[i] = min(c.LastSeen+lapseAfter, c.ConnectedAt+store.ConnectionMaxAge.Milliseconds())
			continue
		}
		forgot, err := s.Worker.Store.ForgetConnection(ctx, app, cw.User, cw.Conn)
		if err != nil {
			next[i] = cw.Due
			return evs, err
		}
		if forgot {
			evs = append(evs, New(ConnectionStatus, Data{UserID: cw.User, Status: "1", OS: "Websocket", ClientIP: cw.ClientIP,
				SessionID: cw.Conn, Reason: LapsedReason, Time: now}))
		}
	}
	return evs, nil
}
