package relations

import (
	"testing"
	"time"

	"imusers/shared/store"
)

func member(id string, mods ...func(*store.Member)) *store.Member {
	m := &store.Member{User: &store.User{ID: id, CreatedAt: 1}}
	for _, f := range mods {
		f(m)
	}
	return m
}

var (
	deactivated = func(m *store.Member) { m.DeactivatedAt = 5 }
	whiteMode   = func(m *store.Member) { m.WhiteMode = true }
	now         = time.UnixMilli(1_000_000)
	bannedUntil = func(ms int64) func(*store.Member) { return func(m *store.Member) { m.BanUntil = ms } }
)

// facts builds the facts of a message from "s" to "r" that every rule lets through, changed by
// mods.
func facts(mods ...func(*store.SendFacts)) *store.SendFacts {
	f := &store.SendFacts{Sender: member("s"), Recipient: member("r")}
	for _, m := range mods {
		m(f)
	}
	return f
}

func TestDecide(t *testing.T) {
	blocked := func(f *store.SendFacts) { f.Blocked = true }
	listed := func(f *store.SendFacts) { f.Whitelisted = true }
	friends := func(f *store.SendFacts) { f.Friends = true }
	friendsOnly := func(f *store.SendFacts) { f.Settings.FriendsOnlyDirectMessages = true }
	whitelistOn := func(f *store.SendFacts) { f.Recipient.WhiteMode = true }
	muted := func(f *store.SendFacts) { f.SenderMuted = true }
	recipient := func(m *store.Member) func(*store.SendFacts) { return func(f *store.SendFacts) { f.Recipient = m } }
	sender := func(m *store.Member) func(*store.SendFacts) { return func(f *store.SendFacts) { f.Sender = m } }

	all := []Via{FromClient, FromServer, FromServerVerified}
	cases := []struct {
		name  string
		facts *store.SendFacts
		want  map[Via]int // by who sends
	}{
		{"nothing in the way", facts(), codes(200, 200, 200)},
		{"recipient unknown", facts(recipient(nil)), codes(3001, 3001, 3001)},
		{"recipient deactivated", facts(recipient(member("r", deactivated))), codes(3002, 3002, 3002)},
		{"recipient deactivated beats the blocklist", facts(recipient(member("r", deactivated)), blocked), codes(3002, 3002, 3002)},
		{"sender unknown", facts(sender(nil)), codes(3009, 200, 200)},
		{"sender deactivated", facts(sender(member("s", deactivated))), codes(3009, 200, 200)},
		{"sender banned now", facts(sender(member("s", bannedUntil(now.UnixMilli()+1)))), codes(3003, 200, 200)},
		{"sender's ban ended", facts(sender(member("s", bannedUntil(now.UnixMilli())))), codes(200, 200, 200)},
		{"on the blocklist", facts(blocked), codes(405, 200, 405)},
		{"whitelist mode, not listed", facts(whitelistOn), codes(405, 200, 405)},
		{"whitelist mode, listed", facts(whitelistOn, listed), codes(200, 200, 200)},
		{"whitelist mode ignores the blocklist", facts(whitelistOn, listed, blocked), codes(200, 200, 200)},
		{"whitelist without its mode is not consulted", facts(listed, blocked), codes(405, 200, 405)},
		{"friends-only, not friends", facts(friendsOnly), codes(3008, 200, 200)},
		{"friends-only, friends", facts(friendsOnly, friends), codes(200, 200, 200)},
		{"the blocklist wins over friendship", facts(friendsOnly, friends, blocked), codes(405, 200, 405)},
		{"whitelist and friends-only both apply", facts(friendsOnly, whitelistOn, listed), codes(3008, 200, 200)},
		{"a banned sender is told so before the lists", facts(sender(member("s", bannedUntil(now.UnixMilli()+1))), blocked), codes(3003, 200, 405)},
		{"muted", facts(muted), codes(20106, 200, 200)},
		{"a muted sender is told so before the lists", facts(muted, blocked), codes(20106, 200, 405)},
		{"a muted sender is told so before friends-only", facts(muted, friendsOnly), codes(20106, 200, 200)},
		{"a banned muted sender is told of the ban", facts(muted, sender(member("s", bannedUntil(now.UnixMilli()+1)))), codes(3003, 200, 200)},
		{"a deactivated muted sender is told of the deactivation", facts(muted, sender(member("s", deactivated))), codes(3009, 200, 200)},
		{"a muted sender to an unknown recipient", facts(muted, recipient(nil)), codes(3001, 3001, 3001)},
	}
	for _, tc := range cases {
		for _, via := range all {
			v := Decide(tc.facts, via, now)
			if v.Code != tc.want[via] {
				t.Errorf("%s, via %d: code %d (%s), want %d", tc.name, via, v.Code, v.Reason, tc.want[via])
			}
			if v.Allowed() != (v.Code == 200) || (v.Code != 200) == (v.Reason == "") {
				t.Errorf("%s, via %d: verdict %+v is inconsistent", tc.name, via, v)
			}
		}
	}
}

func codes(client, server, verified int) map[Via]int {
	return map[Via]int{FromClient: client, FromServer: server, FromServerVerified: verified}
}
