// Package profiles holds the rules of what an App Server keeps for its users beside their name
// and portrait: hosted profiles (basic keys and "ext_" pairs, merged key by key, versioned) and
// tags (replaced whole). Both are personal data: they live under the user's partition, so the
// erasure of a deactivated or deleted user removes them. Whatever wire a call comes over (the
// v1 form, a JSON body), it reaches the same rules here.
package profiles

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/parallel"
	"imusers/shared/store"
	"imusers/shared/wire/apierr"
)

// Profile is a user's hosted profile as stored.
type Profile = store.HostedProfile

// Service applies the rules.
type Service struct {
	Store *store.Store
	Now   func() time.Time
	// Events takes the user:profile_update events of the changes, when the app's webhook
	// settings want them (read in the change's batch); nil raises none.
	Events users.Events
}

// attempts bounds how often one user's change is read and written again when other calls
// changed the same profile in between.
const attempts = 3

// parallelism bounds the per-user writes of one clean.
const parallelism = 10

// errBusy ends a change that other calls kept overtaking; nothing of it was stored.
var errBusy = errors.New("the profile kept changing under other calls; nothing was stored")

// active fails, naming the user, unless every user exists and is active.
func active(found map[string]*store.User, ids []string) error {
	for _, id := range ids {
		switch u := found[id]; {
		case u == nil:
			return fmt.Errorf("%w: %s", users.ErrUnknownUser, id)
		case u.Deactivated():
			return fmt.Errorf("%w: %s", users.ErrDeactivated, id)
		}
	}
	return nil
}

// Set merges c into an active user's hosted profile: keys given replace theirs, keys removed go,
// keys not given stay. A change that leaves the profile as it was stores nothing and keeps the
// version. One batched read and one write.
func (s *Service) Set(ctx context.Context, app apps.App, user string, c Change) error {
	return s.change(ctx, app, []string{user}, func(p *store.HostedProfile) error { return c.apply(p) })
}

// Clean clears the hosted profiles of active users; users without one are no error. One batched
// read, and one write per user that has a profile.
func (s *Service) Clean(ctx context.Context, app apps.App, ids []string) error {
	return s.change(ctx, app, ids, func(p *store.HostedProfile) error {
		p.Text, p.Numbers, p.Ext = nil, nil, nil
		return nil
	})
}

// change reads the users and their profiles in one batch, refuses the whole call unless every
// user is active, and stores each profile that edit changes, side by side. A profile another
// call changed in between is read again and edited again.
func (s *Service) change(ctx context.Context, app apps.App, ids []string, edit func(*store.HostedProfile) error) error {
	found, profiles, settings, err := s.Store.ProfileChangeState(ctx, app.Key, ids)
	if err != nil {
		return err
	}
	if err := active(found, ids); err != nil {
		return err
	}
	stored := make([]*store.HostedProfile, len(ids))
	errs := parallel.Do(ctx, len(ids), parallelism, func(ctx context.Context, i int) error {
		id := ids[i]
		u, prev := found[id], profiles[id]
		for range attempts {
			next, err := s.store(ctx, app, u, prev, edit)
			if !errors.Is(err, store.ErrConflict) {
				stored[i] = next
				return err
			}
			again, profile, err := s.Store.ProfileState(ctx, app.Key, []string{id})
			if err != nil {
				return err
			}
			if err := active(again, []string{id}); err != nil {
				return err
			}
			u, prev = again[id], profile[id]
		}
		return errBusy
	})
	// Every change stored is announced, even when another user's failed.
	if _, ok := webhooks.Settings(settings.Webhook).Wants(webhooks.ProfileUpdate); ok && s.Events != nil {
		var evs []webhooks.Event
		for _, p := range stored {
			if p != nil {
				evs = append(evs, profileUpdate(p, s.Now().UnixMilli()))
			}
		}
		s.Events.Raise(ctx, app.Key, evs...)
	}
	return parallel.First(errs)
}

// profileUpdate is the user:profile_update event of a stored change: cleared when no field is
// left, else modified, with the profile as it now is (events have no order, so each carries
// the whole state rather than a difference).
func profileUpdate(p *store.HostedProfile, now int64) webhooks.Event {
	d := webhooks.Data{OperatorID: p.User, Time: now}
	op := 0
	if !p.Empty() {
		op = 1
		d.UserProfile = map[string]any{}
		for k, v := range p.Text {
			d.UserProfile[k] = v
		}
		for k, v := range p.Numbers {
			d.UserProfile[k] = v
		}
		d.UserMetaData = p.Ext
	}
	d.OperationType = &op
	return webhooks.New(webhooks.ProfileUpdate, d)
}

// store writes the edit of prev (nil: none stored) as the next version, unless it changes
// nothing; it returns what it stored (nil: nothing).
func (s *Service) store(ctx context.Context, app apps.App, u *store.User, prev *store.HostedProfile, edit func(*store.HostedProfile) error) (*store.HostedProfile, error) {
	if prev == nil {
		prev = &store.HostedProfile{User: u.ID}
	}
	next := &store.HostedProfile{User: u.ID, Text: maps.Clone(prev.Text), Numbers: maps.Clone(prev.Numbers), Ext: maps.Clone(prev.Ext)}
	if err := edit(next); err != nil {
		return nil, err
	}
	if same(prev, next) {
		return nil, nil
	}
	// Strictly increasing per user, even when two changes fall in the same millisecond.
	next.Version = max(s.Now().UnixMilli(), prev.Version+1)
	if err := s.Store.PutHostedProfile(ctx, app.Key, next, u.CreatedAt, prev.Version); err != nil {
		return nil, err
	}
	return next, nil
}

func same(a, b *store.HostedProfile) bool {
	return maps.Equal(a.Text, b.Text) && maps.Equal(a.Numbers, b.Numbers) && maps.Equal(a.Ext, b.Ext)
}

// apply merges c into p and holds the ext pairs to MaxExtFields.
func (c Change) apply(p *store.HostedProfile) error {
	p.Text = merge(p.Text, c.Text)
	p.Numbers = merge(p.Numbers, c.Numbers)
	p.Ext = merge(p.Ext, c.Ext)
	if len(p.Ext) > MaxExtFields {
		return keyErr(apierr.TooLong, "userExtProfile", "userExtProfile would hold more than %d pairs", MaxExtFields)
	}
	return nil
}

// merge sets or removes (nil) each key of change in m.
func merge[V any](m map[string]V, change map[string]*V) map[string]V {
	for k, v := range change {
		if v == nil {
			delete(m, k)
			continue
		}
		if m == nil {
			m = map[string]V{}
		}
		m[k] = *v
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// Get returns, in the order asked, the hosted profiles of the users that have one; unknown
// users and users without a profile are left out. One batched read, strongly consistent: a get
// sees every change answered before it.
func (s *Service) Get(ctx context.Context, app apps.App, ids []string) ([]*store.HostedProfile, error) {
	return s.read(ctx, app, ids, store.Strong)
}

func (s *Service) read(ctx context.Context, app apps.App, ids []string, c store.Consistency) ([]*store.HostedProfile, error) {
	found, err := s.Store.HostedProfiles(ctx, app.Key, ids, c)
	if err != nil {
		return nil, err
	}
	out := make([]*store.HostedProfile, 0, len(found))
	for _, id := range ids {
		if p := found[id]; p != nil && !p.Empty() {
			out = append(out, p)
		}
	}
	return out, nil
}

// MaxListReach bounds offset paging: page × size may not pass it, since every page reads the
// index up to its end.
const MaxListReach = 10_000

// List returns page pageNo of the users that have a hosted profile, by registration time and
// then userId, or exactly the reverse. The index's shards are read as far as the page reaches,
// then the page's profiles in one batched read, eventually consistent like the index itself
// (for half the read units).
func (s *Service) List(ctx context.Context, app apps.App, pageNo, size int, newestFirst bool) ([]*store.HostedProfile, error) {
	if pageNo*size > MaxListReach {
		return nil, apierr.New(apierr.TooLong, "page × size may be at most %d", MaxListReach)
	}
	ids, err := s.Store.HostedProfilePage(ctx, app.Key, pageNo, size, newestFirst)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return s.read(ctx, app, ids, store.Eventual)
}
