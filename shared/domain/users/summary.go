package users

import (
	"context"
	"fmt"

	"imusers/shared/apps"
	"imusers/shared/store"
)

// Summary is what an operator sees of one user, as of one read.
type Summary struct {
	User *store.User
	// Deactivated users answer too: their name and portrait are erased, and the rest is what
	// erasure has not removed yet (a ban and a mute it keeps).
	Deactivated   bool
	Online        bool
	BanUntil      int64 // ms; 0 unless a ban is in force
	Muted         bool
	WhiteMode     bool
	Blocklist     int64
	Whitelist     int64
	Friends       int64
	Tags          []string
	HostedProfile bool
}

// Summary reads everything the user's own items say about it in one batched read, eventually
// consistent (a display, which may miss a change of about the last second). An unknown user
// is ErrUnknownUser, as for Info.
func (s *Service) Summary(ctx context.Context, app apps.App, id string) (*Summary, error) {
	r, err := s.Store.ReadSummary(ctx, app.Key, id)
	if err != nil {
		return nil, err
	}
	if r.Member == nil {
		return nil, fmt.Errorf("%w: %s", ErrUnknownUser, id)
	}
	now := s.nowMS()
	out := &Summary{
		User:          r.Member.User,
		Deactivated:   r.Member.Deactivated(),
		Online:        len(store.Live(r.Conns, now)) > 0,
		Muted:         r.Muted,
		WhiteMode:     r.Member.WhiteMode,
		Blocklist:     r.Blocklist,
		Whitelist:     r.Whitelist,
		Friends:       r.Friends,
		Tags:          r.Tags,
		HostedProfile: r.HasHosted,
	}
	if r.BanUntil > now { // the ban holds while now < its end, as for a connect
		out.BanUntil = r.BanUntil
	}
	return out, nil
}
