package users

import (
	"context"
	"errors"
	"fmt"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/webhooks"
	"imusers/shared/store"
)

// A connect records its connection before it reads the user's state, and block and deactivate
// write the state before they read the connections: whichever comes second sees the other, so no
// connect slips between a ban and its kicks. What is left is the time from that record until
// API Gateway opens the connection, in which a kick finds it gone; these bound it.
const (
	// AdmitWithin is how long after its record a connect may still be allowed; a later
	// decision refuses the connect instead (API Gateway's 500, which clients retry).
	AdmitWithin = 2 * time.Second
	// ConnectSettle is how long after its record a connection may still be on its way to open:
	// until then a kick that finds it gone tries again. The margin over AdmitWithin covers the
	// $connect function (no I/O) and API Gateway opening the connection.
	ConnectSettle = 3 * time.Second
)

// ErrTooSlow refuses a connect whose decision came later than AdmitWithin.
var ErrTooSlow = errors.New("connect decided too late to be admitted")

// ErrTooManyConnections refuses a connect of a user who has store.MaxConnections open already.
var ErrTooManyConnections = errors.New("the user has the most connections allowed open")

// ErrNotWithdrawn joins the refusal of a connect whose recorded connection could not be taken
// back: it counts as online until the idle limit.
var ErrNotWithdrawn = errors.New("the refused connection stays recorded")

// Admit decides a connect of connection connID with token tok, as VerifyToken does, recording
// the connection first: one write, then the one read. A bad signature is refused without I/O;
// a user with the most connections allowed, by the record itself; any other refusal takes the
// record back (one more write).
func (s *Service) Admit(ctx context.Context, tok, connID, clientIP string) (apps.App, *store.User, error) {
	app, c, err := s.parseToken(tok)
	if err != nil {
		return apps.App{}, nil, err
	}
	start := time.Now()
	rec, err := s.Store.Record(ctx, app.Key, c.UserID, connID, s.nowMS())
	if errors.Is(err, store.ErrTooManyConnections) {
		return apps.App{}, nil, fmt.Errorf("%w: %d", ErrTooManyConnections, store.MaxConnections)
	}
	if err != nil {
		return apps.App{}, nil, err
	}
	app, u, err := s.checkToken(ctx, app, c)
	if err == nil && time.Since(start) > AdmitWithin {
		err = ErrTooSlow
	}
	if err != nil {
		if werr := s.Store.Withdraw(ctx, rec); werr != nil {
			err = errors.Join(err, fmt.Errorf("%w: %w", ErrNotWithdrawn, werr))
		}
		return apps.App{}, nil, err
	}
	if ReportsConnections(u) {
		s.raiseConnection(ctx, app.Key, u.ID, connID, clientIP, connected)
	}
	return app, u, nil
}

// Values of user:connection_status's status.
const (
	connected    = "0"
	disconnected = "1"
)

// ReportsConnections reports whether the user's app wants to hear of its connections, by the
// settings read with the user's state when it connected.
func ReportsConnections(u *store.User) bool {
	_, ok := webhooks.Settings(u.AppSettings.Webhook).Wants(webhooks.ConnectionStatus)
	return ok
}

// Disconnected announces that a connection closed (the client left, was kicked or lapsed), for
// an app that wanted to hear of it when the connection opened.
func (s *Service) Disconnected(ctx context.Context, app, user, connID, clientIP string) {
	s.raiseConnection(ctx, app, user, connID, clientIP, disconnected)
}

func (s *Service) raiseConnection(ctx context.Context, app, user, connID, clientIP, status string) {
	s.raise(ctx, app, webhooks.ConnectionStatus, []string{user}, func(d *webhooks.Data) {
		d.Status, d.OS, d.ClientIP, d.SessionID = status, "Websocket", clientIP, connID
	})
}

// Online reports whether the user has a connection that can still be open, in one read. A user
// who never connected, or does not exist, is offline.
//
// The online checks read eventually consistent, for half the read units: their answer is a
// snapshot that can be out of date the moment it arrives (a connection may open or close right
// after), so missing a connect or disconnect of the last second changes nothing for the App
// Server. Nothing is decided on it; kicks read strongly (kickAll).
func (s *Service) Online(ctx context.Context, app apps.App, id string) (bool, error) {
	conns, err := s.Store.Connections(ctx, app.Key, id, store.Eventual)
	if err != nil {
		return false, err
	}
	return len(store.Live(conns, s.nowMS())) > 0, nil
}

// OnlineMany answers Online for up to 100 users in one batched read: online[i] is ids[i]'s.
// It reads eventually consistent, as Online does.
func (s *Service) OnlineMany(ctx context.Context, app apps.App, ids []string) ([]bool, error) {
	conns, err := s.Store.ConnectionsOf(ctx, app.Key, ids, store.Eventual)
	if err != nil {
		return nil, err
	}
	now := s.nowMS()
	out := make([]bool, len(ids))
	for i, id := range ids {
		for _, c := range conns[id] {
			if c.Live(now) {
				out[i] = true
				break
			}
		}
	}
	return out, nil
}

// Disconnect forgets a closed connection, in one write.
func (s *Service) Disconnect(ctx context.Context, app, user, connID string) error {
	return s.Store.Disconnect(ctx, app, user, connID)
}
