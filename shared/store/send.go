package store

import (
	"context"
	"strings"
)

// SendFacts is everything the rules for one direct message look at. Every fact is an item
// addressed by its exact key, so the facts for a message are one BatchGetItem.
type SendFacts struct {
	Sender *Member // nil when unknown; BanUntil comes from the sender's ban item
	// SenderMuted: the sender is muted in direct chats (it may not send from its client).
	SenderMuted bool
	Recipient   *Member // nil when unknown; carries deactivation and whitelist mode
	// Blocked: the sender is on the recipient's blocklist. Whitelisted: on its whitelist.
	Blocked, Whitelisted bool
	// Friends: the recipient has the sender as a friend (both sides are written together).
	Friends  bool
	Settings AppSettings
	// Conns are the recipient's recorded connections, lapsed or not: read with the facts, so
	// delivering an accepted message needs no further read.
	Conns []Conn
}

// SendRead chooses the facts ReadSendFacts fetches besides the recipients' profiles; a fact
// left out keeps its zero value. Each costs a key per recipient (or one for all), so a caller
// pays only for the facts its rules consult.
type SendRead struct {
	Sender   bool // the sender's profile and ban
	Mute     bool // the sender's mute
	Lists    bool // the recipient's blocklist and whitelist entries for the sender
	Friends  bool // the recipient's friend entry for the sender
	Settings bool // the app's settings
	Presence bool // the recipient's recorded connections
}

// SendPermission reads the facts for a message from one user to another in one BatchGetItem of
// eight keys: the sender's profile, ban and mute, the app's settings, the recipient's profile,
// and the recipient's blocklist, whitelist and friend entries for the sender.
func (st *Store) SendPermission(ctx context.Context, app, from, to string) (*SendFacts, error) {
	all, err := st.SendPermissions(ctx, app, from, []string{to})
	if err != nil {
		return nil, err
	}
	return all[to], nil
}

// SendPermissions reads the facts for a message to many recipients: the four shared keys once,
// four keys per recipient, 100 keys to a BatchGetItem (so 24 recipients in the first call and
// 25 in each further one).
func (st *Store) SendPermissions(ctx context.Context, app, from string, to []string) (map[string]*SendFacts, error) {
	return st.ReadSendFacts(ctx, app, from, to, SendRead{Sender: true, Mute: true, Lists: true, Friends: true, Settings: true})
}

// ReadSendFacts reads the facts that what chooses for a message to many recipients, 100 keys to
// a BatchGetItem: the shared keys once, then each recipient's keys together.
func (st *Store) ReadSendFacts(ctx context.Context, app, from string, to []string, what SendRead) (map[string]*SendFacts, error) {
	seen := map[[2]string]bool{}
	var keys []itemKey
	add := func(pk, sk string) {
		if k := [2]string{pk, sk}; !seen[k] { // BatchGetItem refuses a key given twice
			seen[k] = true
			keys = append(keys, key(pk, sk))
		}
	}
	if what.Sender {
		add(userPK(app, from), skProfile)
		add(userPK(app, from), skBan)
	}
	if what.Mute {
		add(userPK(app, from), skMute)
	}
	if what.Settings {
		add(appPK(app), skSettings)
	}
	out := make(map[string]*SendFacts, len(to))
	for _, r := range to {
		out[r] = &SendFacts{}
		add(userPK(app, r), skProfile)
		if what.Lists {
			add(userPK(app, r), entrySK(Blocklist, from))
			add(userPK(app, r), entrySK(Whitelist, from))
		}
		if what.Friends {
			add(userPK(app, r), entrySK(Friends, from))
		}
		if what.Presence {
			add(userPK(app, r), skPresence)
		}
	}
	items, err := st.batchGet(ctx, keys, Strong)
	if err != nil {
		return nil, err
	}
	var sender *Member
	var banUntil int64
	var muted bool
	var settings AppSettings
	for _, it := range items {
		k, err := keyOf(it)
		if err != nil {
			return nil, err
		}
		pk, sk := k.PK, k.SK
		if pk == appPK(app) {
			if settings, err = settingsFrom(it); err != nil {
				return nil, err
			}
			continue
		}
		owner := ownerOf(pk)
		if owner == from {
			switch sk {
			case skProfile:
				if sender, err = memberFrom(it); err != nil {
					return nil, err
				}
			case skBan:
				if banUntil, err = banEnd(it); err != nil {
					return nil, err
				}
			case skMute:
				muted = true
			}
		}
		f := out[owner]
		if f == nil {
			continue
		}
		switch kind, _, _ := strings.Cut(sk, "#"); {
		case sk == skProfile:
			if f.Recipient, err = memberFrom(it); err != nil {
				return nil, err
			}
		case sk == skPresence:
			if f.Conns, err = connsFrom(it); err != nil {
				return nil, err
			}
		case Kind(kind) == Blocklist:
			f.Blocked = true
		case Kind(kind) == Whitelist:
			f.Whitelisted = true
		case Kind(kind) == Friends:
			f.Friends = true
		}
	}
	if sender != nil {
		sender.BanUntil = banUntil
	}
	for _, f := range out {
		f.Sender, f.SenderMuted, f.Settings = sender, muted, settings
	}
	return out, nil
}
