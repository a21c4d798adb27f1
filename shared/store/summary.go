package store

import (
	"context"
	"fmt"
)

// Summary is everything kept under one user's own partition that an operator's view of the
// user shows: the profile-and-state item with its settings, the ban, the mute, the recorded
// connections, the three lists' totals, the tags and the hosted profile.
type Summary struct {
	Member   *Member // nil when the user does not exist
	BanUntil int64   // ms; 0 without a ban item (a lapsed one may still be there)
	Muted    bool
	Conns    []Conn // lapsed or not
	// Blocklist, Whitelist and Friends are the lists' totals, 0 for a list never used.
	Blocklist, Whitelist, Friends int64
	Tags                          []string
	HasHosted                     bool // a hosted profile with at least one field
}

// ReadSummary reads a user's Summary in one BatchGetItem of nine exact keys, eventually
// consistent: it is a display, and a change of about the last second may be missing from it.
// A list's total is what its counter item holds, changes in flight included.
func (st *Store) ReadSummary(ctx context.Context, app, user string) (*Summary, error) {
	pk := userPK(app, user)
	keys := []itemKey{
		userKey(app, user), banKey(app, user), muteKey(app, user), presenceKey(app, user),
		key(pk, counterSK(Blocklist)), key(pk, counterSK(Whitelist)), key(pk, counterSK(Friends)),
		tagKey(app, user), hostedKey(app, user),
	}
	items, err := st.batchGet(ctx, keys, Eventual)
	if err != nil {
		return nil, fmt.Errorf("read user summary: %w", err)
	}
	s := &Summary{}
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return nil, err
		}
		if err := s.take(k.SK, it); err != nil {
			return nil, fmt.Errorf("read user summary: %w", err)
		}
	}
	return s, nil
}

// take fills in what the item with sort key sk says.
func (s *Summary) take(sk string, it item) error {
	var err error
	switch sk {
	case skProfile:
		s.Member, err = memberFrom(it)
	case skBan:
		s.BanUntil, err = banEnd(it)
	case skMute:
		s.Muted = true
	case skPresence:
		s.Conns, err = connsFrom(it)
	case skTags:
		var t *tagItem
		if t, err = unmarshal[tagItem](it); err == nil {
			s.Tags = t.Tags
		}
	case skHosted:
		var h *HostedProfile
		if h, err = hostedFrom(it); err == nil {
			s.HasHosted = !h.Empty()
		}
	case counterSK(Blocklist), counterSK(Whitelist), counterSK(Friends):
		var c *counter
		if c, err = counterFrom(it); err != nil {
			return err
		}
		switch sk {
		case counterSK(Blocklist):
			s.Blocklist = c.total
		case counterSK(Whitelist):
			s.Whitelist = c.total
		case counterSK(Friends):
			s.Friends = c.total
		}
	}
	return err
}
