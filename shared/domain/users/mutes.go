package users

import (
	"context"

	"imusers/shared/apps"
)

// A user muted in direct chats may not send direct messages from its client (the message rules
// refuse them); the App Server may still publish for it. A mute has no end: it lasts until it
// is lifted. Like a ban it is the App Server's decision about the user, so deactivation keeps it
// and a development delete removes it.

// SetMuted mutes or unmutes users in direct chats, all or none: one batched read per 100 users
// checks that each exists (deactivated users may be muted), then one batched write per 25.
// Muting a muted user, or unmuting one who is not, changes nothing.
func (s *Service) SetMuted(ctx context.Context, app apps.App, ids []string, muted bool) error {
	if _, err := s.existing(ctx, app.Key, ids); err != nil {
		return err
	}
	if muted {
		return s.Store.PutMutes(ctx, app.Key, ids)
	}
	return s.Store.DeleteMutes(ctx, app.Key, ids)
}

// MutedPage is a page of the users muted in direct chats.
type MutedPage struct {
	Total int      // every user muted now
	Users []string // by userId (byte order), from the offset asked
}

// Muted returns up to num of the users muted in direct chats, sorted by userId, from offset;
// an offset past the end gives an empty page. The whole list is read to count it (one Query per
// index shard and per 1,000 muted users in it).
func (s *Service) Muted(ctx context.Context, app apps.App, offset, num int) (MutedPage, error) {
	all, err := s.Store.ListMuted(ctx, app.Key)
	if err != nil {
		return MutedPage{}, err
	}
	from := min(offset, len(all))
	return MutedPage{Total: len(all), Users: all[from:min(from+num, len(all))]}, nil
}
