package relations

import (
	"context"
	"time"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/wire/apierr"
)

// Via says who sends a direct message, which decides the rules that apply.
type Via int

const (
	// FromClient is a user sending over its connection: every rule applies.
	FromClient Via = iota
	// FromServer is the App Server publishing with verifyBlacklist=0: the recipient's lists and
	// the friends-only setting are bypassed; the recipient must still exist and be active.
	FromServer
	// FromServerVerified is publishing with verifyBlacklist=1: the recipient's lists apply too.
	FromServerVerified
)

// Codes of a verdict: the code of a client's ack, and of a recipient in a publish answer.
// Besides Accepted and RejectedByRecipient (the platform's client code) they are error codes
// of apierr's table, so an App Server reads the same number the same way everywhere.
const (
	Accepted = 200
	// RejectedByRecipient: the sender is on the recipient's blocklist, or whitelist mode is on
	// and the sender is not on the recipient's whitelist. The client shows "sent, but rejected".
	RejectedByRecipient = 405
	NotFriends          = apierr.NotFriends       // friends-only is on and they are not friends
	RecipientUnknown    = apierr.UnknownUser      // no such recipient
	RecipientGone       = apierr.UserDeactivated  // the recipient is deactivated
	SenderBanned        = apierr.UserBlocked      // the sender is blocked (banned) now
	SenderNotAllowed    = apierr.SenderNotAllowed // the sender is deactivated or unknown
	// SenderMuted: the sender is muted in direct chats (/user/chat/fb/set.json); the platform's
	// client code FORBIDDEN_IN_PRIVATE.
	SenderMuted = 20106
)

// Verdict is the decision about one message to one recipient.
type Verdict struct {
	Code   int
	Reason string // for logs and error bodies; "" when accepted
}

// Allowed reports whether the message may be delivered.
func (v Verdict) Allowed() bool { return v.Code == Accepted }

// Decide applies the rules to the facts of one message, in this order: the recipient must exist
// and be active; a client's sender must exist, be active, not be banned and not be muted in
// direct chats; then the recipient's
// lists (the whitelist alone while whitelist mode is on: the blocklist is kept but not
// consulted); then the app's friends-only setting. A blocklist refusal therefore wins over
// friendship.
func Decide(f *store.SendFacts, via Via, now time.Time) Verdict {
	switch r := f.Recipient; {
	case r == nil:
		return Verdict{RecipientUnknown, "the recipient does not exist"}
	case r.Deactivated():
		return Verdict{RecipientGone, "the recipient is deactivated"}
	}
	if via == FromClient {
		switch s := f.Sender; {
		case s == nil || s.Deactivated():
			return Verdict{SenderNotAllowed, "the sender is deactivated or does not exist"}
		case now.UnixMilli() < s.BanUntil:
			return Verdict{SenderBanned, "the sender is blocked"}
		case f.SenderMuted:
			return Verdict{SenderMuted, "the sender is muted in direct chats"}
		}
	}
	if via != FromServer {
		if f.Recipient.WhiteMode {
			if !f.Whitelisted {
				return Verdict{RejectedByRecipient, "the sender is not on the recipient's whitelist"}
			}
		} else if f.Blocked {
			return Verdict{RejectedByRecipient, "the sender is on the recipient's blocklist"}
		}
	}
	if via == FromClient && f.Settings.FriendsOnlyDirectMessages && !f.Friends {
		return Verdict{NotFriends, "only friends may send each other direct messages"}
	}
	return Verdict{Code: Accepted}
}

// Reads is what Decide consults for a message sent via via; facts left out need not be read.
func Reads(via Via) store.SendRead {
	switch via {
	case FromClient:
		return store.SendRead{Sender: true, Mute: true, Lists: true, Friends: true, Settings: true}
	case FromServerVerified:
		return store.SendRead{Lists: true}
	}
	return store.SendRead{}
}

// CheckSend reads the facts of one message in one BatchGetItem and decides.
func (s *Service) CheckSend(ctx context.Context, app apps.App, from, to string, via Via) (Verdict, error) {
	f, err := s.Store.SendPermission(ctx, app.Key, from, to)
	if err != nil {
		return Verdict{}, err
	}
	return Decide(f, via, s.Now()), nil
}

// CheckSends decides a message to many recipients, reading 24 to 25 recipients' facts per
// BatchGetItem.
func (s *Service) CheckSends(ctx context.Context, app apps.App, from string, to []string, via Via) (map[string]Verdict, error) {
	all, err := s.Store.SendPermissions(ctx, app.Key, from, to)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make(map[string]Verdict, len(all))
	for r, f := range all {
		out[r] = Decide(f, via, now)
	}
	return out, nil
}
