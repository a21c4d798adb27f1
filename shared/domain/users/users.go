// Package users holds the rules of the user lifecycle: registration and tokens, expiry,
// profile, deactivation with erasure, reactivation, and the development-app user cap. It knows
// nothing about API Gateway; the store behind it is the only thing that touches DynamoDB.
package users

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/token"
	"imusers/shared/domain/webhooks"
	"imusers/shared/store"
)

// DevUserCap is how many users a development app may register.
const DevUserCap = 100

// Domain errors; the API layer gives each its code. Errors about one user of a batch wrap these
// with the user's id.
var (
	ErrUnknownUser = errors.New("user does not exist")
	ErrDeactivated = errors.New("user is deactivated")
	ErrBlocked     = errors.New("user is blocked")
	ErrCapReached  = errors.New("development app has reached its 100-user cap")
	ErrDevOnly     = errors.New("this call is only allowed for development apps")
	ErrBadToken    = errors.New("token is invalid or expired")
	ErrTooEarly    = errors.New("user was deactivated less than an hour ago")
)

// RestoreWait is how long after its deactivation a user may not be restored through the v4
// API (its restore refuses the whole call; v1 reactivation has no such wait).
const RestoreWait = time.Hour

// Eraser starts the asynchronous erasure of deactivated or deleted users' data.
type Eraser interface {
	Start(ctx context.Context, job Erasure) error
}

// Erasure is one asynchronous erasure request.
type Erasure struct {
	App       string   `json:"app"`
	Users     []string `json:"users"`
	OperateID string   `json:"operateId"`
	// At is when the deactivation or deletion happened (ms); erasure waits for writes that
	// started before it.
	At int64 `json:"at,omitempty"`
	// Reason is ReasonDeactivated or ReasonDeleted (a job queued without one is a deactivation).
	Reason string `json:"reason,omitempty"`
}

// Service applies the lifecycle rules.
type Service struct {
	Store  *store.Store
	Eraser Eraser
	// Conns reaches the open connections of blocked, deactivated and deleted users, to close
	// them; nil when no management endpoint is configured, and then closing them fails.
	Conns Connections
	Apps  *apps.Registry
	Now   func() time.Time
	// Events receives the webhook events the rules raise; nil raises none.
	Events Events
	// SettingsMaxAge is how long the app settings a token check read serve the next checks of
	// this instance (0: every check reads them). A change of the token lifetime or of the
	// webhook settings reaches connects within it.
	SettingsMaxAge time.Duration

	seen     seenWrites    // the last-seen times this instance wrote (Heard)
	settings SettingsCache // the app settings token checks read
}

// Events receives the webhook events one call raises, all at once (a webhooks.Raiser).
type Events interface {
	Raise(ctx context.Context, app string, events ...webhooks.Event)
}

func (s *Service) nowMS() int64 { return s.Now().UnixMilli() }

// raise hands on one event of type typ per user, each with the data fill gives it.
func (s *Service) raise(ctx context.Context, app, typ string, ids []string, fill func(*webhooks.Data)) {
	if s.Events == nil {
		return
	}
	now := s.nowMS()
	evs := make([]webhooks.Event, len(ids))
	for i, id := range ids {
		d := webhooks.Data{UserID: id, Time: now}
		fill(&d)
		evs[i] = webhooks.New(typ, d)
	}
	s.Events.Raise(ctx, app, evs...)
}

// GetToken registers the user, or overwrites its name and portrait, and issues a new token.
// Earlier tokens stay valid. One write; two for a development app (the cap's registry first, so
// a retry repairs a write that failed between the two).
func (s *Service) GetToken(ctx context.Context, app apps.App, user, name, portrait string) (string, error) {
	now := s.nowMS()
	if app.IsDevelopment() {
		if err := s.Store.ReserveDevSlot(ctx, app.Key, user, DevUserCap); err != nil {
			return "", mapStore(err, user)
		}
	}
	created, err := s.Store.Register(ctx, app.Key, user, name, portrait, now, app.IsDevelopment())
	if err != nil {
		return "", mapStore(err, user)
	}
	// A racing first registration may have stored a later time than ours; a token issued
	// before the stored registration time would never verify, so it is issued at that time.
	now = max(now, created)
	return token.Issue(app.SigningKey(), token.Claims{AppKey: app.Key, UserID: user, IssuedAt: time.UnixMilli(now)}), nil
}

// mapStore turns store errors into domain errors naming the user.
func mapStore(err error, user string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %s", ErrUnknownUser, user)
	case errors.Is(err, store.ErrDeactivated):
		return fmt.Errorf("%w: %s", ErrDeactivated, user)
	case errors.Is(err, store.ErrCapReached):
		return ErrCapReached
	}
	return err
}

// existing reads users in one batch and fails, changing nothing, when one does not exist.
func (s *Service) existing(ctx context.Context, app string, ids []string) (map[string]*store.User, error) {
	found, err := s.Store.GetUsers(ctx, app, ids)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if found[id] == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnknownUser, id)
		}
	}
	return found, nil
}

// ExpireTokens makes every token of the users issued before t fail verification. Open
// connections are not touched.
func (s *Service) ExpireTokens(ctx context.Context, app apps.App, ids []string, t time.Time) error {
	if _, err := s.existing(ctx, app.Key, ids); err != nil {
		return err
	}
	return forEach(ctx, ids, func(ctx context.Context, id string) error {
		return s.Store.SetNotBefore(ctx, app.Key, id, t.UnixMilli())
	})
}

// Info returns an active user's server-side profile in one read.
func (s *Service) Info(ctx context.Context, app apps.App, id string) (*store.User, error) {
	u, err := s.Store.GetUser(ctx, app.Key, id)
	if err != nil {
		return nil, mapStore(err, id)
	}
	if u.Deactivated() {
		return nil, fmt.Errorf("%w: %s", ErrDeactivated, id)
	}
	return u, nil
}

// Refresh changes an active user's name and/or portrait; empty values leave a field unchanged.
func (s *Service) Refresh(ctx context.Context, app apps.App, id, name, portrait string) error {
	return mapStore(s.Store.UpdateProfile(ctx, app.Key, id, name, portrait), id)
}

// newOperateID names one deactivation or reactivation request.
func newOperateID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Deactivate disables the users at once (no token, no info, listed as deactivated, profile
// gone), closes their open connections, and starts the asynchronous erasure of the rest of their
// data. Deactivating a deactivated user starts its erasure again, which is harmless.
func (s *Service) Deactivate(ctx context.Context, app apps.App, ids []string) (string, error) {
	if _, err := s.existing(ctx, app.Key, ids); err != nil {
		return "", err
	}
	op, now := newOperateID(), s.nowMS()
	err := forEach(ctx, ids, func(ctx context.Context, id string) error {
		return mapStore(s.Store.Deactivate(ctx, app.Key, id, now, op), id)
	})
	if err != nil {
		return "", err
	}
	if err := s.kickAll(ctx, app.Key, ids, ReasonDeactivated); err != nil {
		return "", err
	}
	if err := s.Eraser.Start(ctx, Erasure{App: app.Key, Users: ids, OperateID: op, At: now, Reason: ReasonDeactivated}); err != nil {
		return "", fmt.Errorf("start erasure: %w", err)
	}
	return op, nil
}

// Reactivate lets deactivated users in again; they need new tokens, and erased data stays gone.
// Active users are left as they are. A user deactivated less than wait ago refuses the whole
// call (ErrTooEarly), before anything changes.
func (s *Service) Reactivate(ctx context.Context, app apps.App, ids []string, wait time.Duration) (string, error) {
	found, err := s.existing(ctx, app.Key, ids)
	if err != nil {
		return "", err
	}
	now := s.nowMS()
	for _, id := range ids {
		if at := found[id].DeactivatedAt; at != 0 && now-at < wait.Milliseconds() {
			return "", fmt.Errorf("%w: %s", ErrTooEarly, id)
		}
	}
	err = forEach(ctx, ids, func(ctx context.Context, id string) error {
		return s.Store.Reactivate(ctx, app.Key, id, now)
	})
	if err != nil {
		return "", err
	}
	op := newOperateID()
	reactivated := 1
	s.raise(ctx, app.Key, webhooks.ActivationState, ids, func(d *webhooks.Data) {
		d.OperateID, d.OperationType, d.Code = op, &reactivated, "0"
	})
	return op, nil
}

// ListDeactivated returns one page of deactivated users (erasure finished or not).
func (s *Service) ListDeactivated(ctx context.Context, app apps.App, pageNo, pageSize int) ([]string, error) {
	return s.Store.ListDeactivated(ctx, app.Key, pageNo, pageSize)
}

// ListDev returns the total and one page of a development app's users, by registration time.
func (s *Service) ListDev(ctx context.Context, app apps.App, page, pageSize int, newestFirst bool) (int, []*store.User, error) {
	if !app.IsDevelopment() {
		return 0, nil, ErrDevOnly
	}
	all, err := s.Store.ListDevUsers(ctx, app.Key)
	if err != nil {
		return 0, nil, err
	}
	if newestFirst {
		slices.Reverse(all)
	}
	from := min((page-1)*pageSize, len(all))
	return len(all), all[from:min(from+pageSize, len(all))], nil
}

// DeleteDev deletes development users, freeing their places under the cap, and closes their
// connections; their related data goes through the same erasure as deactivation.
func (s *Service) DeleteDev(ctx context.Context, app apps.App, ids []string) error {
	if !app.IsDevelopment() {
		return ErrDevOnly
	}
	registered, err := s.Store.DevSlots(ctx, app.Key)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(registered, id) {
			return fmt.Errorf("%w: %s", ErrUnknownUser, id)
		}
	}
	if err := s.Store.DeleteUsers(ctx, app.Key, ids); err != nil {
		return err
	}
	// Written first, then looked up: a connect recorded after this lookup reads the user as gone.
	if err := s.kickAll(ctx, app.Key, ids, ReasonDeleted); err != nil {
		return err
	}
	if err := s.Eraser.Start(ctx, Erasure{App: app.Key, Users: ids, OperateID: newOperateID(), At: s.nowMS(), Reason: ReasonDeleted}); err != nil {
		return fmt.Errorf("start erasure: %w", err)
	}
	// Last, so that a failure above leaves the users registered and a retry completes the call.
	return s.Store.ReleaseDevSlots(ctx, app.Key, ids)
}

// VerifyToken checks a token: well-signed by a configured app, its user exists, is not
// deactivated, not banned now, and the token was issued neither before the user's expiry time
// nor before the user's current registration, nor longer ago than the app's token lifetime.
// One read (profile, ban and, unless this instance read them within SettingsMaxAge, the app's
// settings together).
func (s *Service) VerifyToken(ctx context.Context, tok string) (apps.App, *store.User, error) {
	app, c, err := s.parseToken(tok)
	if err != nil {
		return apps.App{}, nil, err
	}
	return s.checkToken(ctx, app, c)
}

// parseToken checks a token's signature, without I/O.
func (s *Service) parseToken(tok string) (apps.App, token.Claims, error) {
	c, err := token.Parse(tok, func(key string) ([]byte, bool) {
		a, ok := s.Apps.Lookup(key)
		return a.SigningKey(), ok
	})
	if err != nil {
		return apps.App{}, token.Claims{}, ErrBadToken
	}
	app, _ := s.Apps.Lookup(c.AppKey)
	return app, c, nil
}

// TokenLifetimes are the token lifetimes an app may set, in days; 0 (the default) means tokens
// do not age.
var TokenLifetimes = []int{0, 1, 7, 30}

// aged reports whether a token issued at issued (ms) has outlived the app's token lifetime at
// now. The lifetime is the app's setting at the time of the check, so shortening it ages old
// tokens at once and lengthening it revives tokens that had lapsed only by age.
func aged(issued int64, ttlDays int, now int64) bool {
	return ttlDays > 0 && issued+int64(ttlDays)*24*time.Hour.Milliseconds() <= now
}

// checkToken reads the state of a well-signed token's user and judges the token by it.
func (s *Service) checkToken(ctx context.Context, app apps.App, c token.Claims) (apps.App, *store.User, error) {
	now := s.Now()
	cached, fresh := s.settings.Get(app.Key, now, s.SettingsMaxAge)
	u, err := s.Store.GetUserState(ctx, app.Key, c.UserID, !fresh)
	if errors.Is(err, store.ErrNotFound) {
		return apps.App{}, nil, ErrBadToken
	}
	if err != nil {
		return apps.App{}, nil, err
	}
	if fresh {
		u.AppSettings = cached
	} else {
		s.settings.Keep(app.Key, u.AppSettings, now)
	}
	if u.Deactivated() {
		return apps.App{}, nil, ErrDeactivated
	}
	issued := c.IssuedAt.UnixMilli()
	if issued < u.NotBefore || issued < u.CreatedAt || aged(issued, u.AppSettings.TokenTTLDays, s.nowMS()) {
		return apps.App{}, nil, ErrBadToken
	}
	if s.nowMS() < u.BanUntil {
		return apps.App{}, nil, ErrBlocked
	}
	return app, u, nil
}
