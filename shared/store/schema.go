// Package store keeps every record of the service in one DynamoDB table (single-table design)
// and is the only package that speaks DynamoDB. Keys are built here and nowhere else.
package store

import (
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute and index names of the table. template.yaml repeats them; a test keeps both equal.
const (
	AttrPK  = "PK"
	AttrSK  = "SK"
	AttrTTL = "expiresAt" // seconds since the epoch; DynamoDB deletes lapsed items (late)

	// IndexDevUsers lists a development app's users by registration time (sparse).
	IndexDevUsers = "GSI1"
	// IndexDeactivated lists deactivated users by deactivation time (sparse, sharded).
	IndexDeactivated = "GSI2"
	// IndexBanned lists users under a ban (sparse, sharded).
	IndexBanned = "GSI3"
	// IndexMuted also lists an app's users muted in direct chats, by userId (sparse, sharded;
	// partitions "A#<app>#MUTE#<shard>").
	IndexMuted = IndexDevUsers

	// IndexLists also orders each user's blocklist, whitelist and friends by time added
	// (partition "<user partition>#<kind>"; the deactivated users' partitions look different).
	// Pages read it newest first.
	IndexLists = IndexDeactivated
	// IndexFriendsAsc also holds each user's friends by time added, read oldest first.
	//
	// A friend page answers the friend count, and the count rides in the page's one Query: the
	// friend counter item carries index keys that place it where the scan starts, ahead of every
	// entry (see counterTail, counterHead). One item sits at one place in an index, and a scan
	// starts at one end, so no key puts it first in both orders of the same index; the newest
	// first scan meets it in IndexLists, the oldest first scan in this one, where friend entries
	// have a second copy (each friend entry write also writes here). Both indexes project the
	// counter's total and none of what its other writes change (marks, change number), so the
	// counter's copies, its keys and total well under 1 KB, are written only when the total
	// moves.
	IndexFriendsAsc = IndexBanned
	// IndexHostedProfiles also lists the users that have a hosted profile by registration time
	// (sparse, sharded; partitions "A#<app>#HP#<shard>", apart from the development users').
	IndexHostedProfiles = IndexDevUsers

	// IndexShards spreads an app's deactivated and banned users over several index partitions,
	// so no single partition takes every write of a busy app: at the design's 2,000 bans a
	// second, each a re-block that moves the ban in the index (a delete and a put), 4 shards
	// would take 1,000 write units a second each, a partition's whole limit.
	IndexShards = 8
)

// Indexes lists each global secondary index with its key attributes and the other attributes
// it projects: those its queries read, and no more, so that a write changing only attributes
// an index does not project (a list counter, a token expiry, a hosted profile's fields) costs
// that index nothing. The development users' list reads the profiles' names, portraits and
// registration times; the lists read their entries' times, names, remarks and extensions, and a
// friend list's first page the friend counter's total; the sharded lists (deactivated, banned,
// muted users, hosted profiles) read keys only, and have none of those attributes. The table's
// definition (localenv.CreateTableInput, for local runs and tests) is built from these.
var Indexes = []struct {
	Name, PK, SK string
	Projected    []string
}{
	{IndexDevUsers, "GSI1PK", "GSI1SK", []string{attrName, attrPortrait, attrCreatedAt}},
	{IndexDeactivated, "GSI2PK", "GSI2SK", listAttrs},
	{IndexBanned, "GSI3PK", "GSI3SK", listAttrs},
}

// listAttrs are what a list page reads beside the keys: an entry's time, name, remark and
// extension, and the friend counter's total.
var listAttrs = []string{attrAt, attrName, attrRemark, attrExt, attrTotal}

// Key prefixes. Every key starts with the app, so no query can reach another app's items.
const (
	skProfile  = "#PROFILE"
	skDevUsers = "#DEVUSERS"
	// A user's ban sorts before the profile, so erasure (which clears what sorts after it)
	// keeps it; the user's presence item sorts after, so erasure removes it.
	skBan = "#BAN"
	// A mute sorts before the profile too: like a ban, it is the App Server's decision and
	// erasure keeps it.
	skMute     = "#MUTE"
	skPresence = "PRESENCE"
)

// Relations a user keeps about other users. Each entry is an item under the owner's partition
// keyed by its target (SK "<kind>#<target>"), so membership is one exact-key read; each list's
// counter is the item SK "<kind>". Both sort after the profile, so erasure removes them.
type Kind string

const (
	Blocklist Kind = "BL"
	Whitelist Kind = "WL"
	Friends   Kind = "FR" // kept on both sides: each friend's partition holds the other
)

const skSettings = "#SETTINGS" // an app's settings, under the app's partition

// What the App Server keeps for a user beside its name and portrait: the hosted profile
// (/user/profile/*) and the tags. Both sort after the profile, so erasure removes them.
const (
	skHosted = "HOSTED"
	skTags   = "TAGS"
)

func entrySK(kind Kind, target string) string    { return string(kind) + "#" + target }
func counterSK(kind Kind) string                 { return string(kind) }
func listPK(app, owner string, kind Kind) string { return userPK(app, owner) + "#" + string(kind) }

func appPK(app string) string        { return "A#" + app }
func userPK(app, user string) string { return userPrefix(app) + user }
func devIndexPK(app string) string   { return "A#" + app + "#DEV" }
func deactIndexPK(app string, shard int) string {
	return fmt.Sprintf("A#%s#DEACT#%d", app, shard)
}
func banIndexPK(app string, shard int) string { return fmt.Sprintf("A#%s#BAN#%d", app, shard) }
func muteIndexPK(app string, shard int) string {
	return fmt.Sprintf("A#%s#MUTE#%d", app, shard)
}
func hostedIndexPK(app string, shard int) string {
	return fmt.Sprintf("A#%s#HP#%d", app, shard)
}

// Webhook events waiting for their next attempt sit in a few partitions of their own, across
// apps, sorted by when they are due, so the per-minute retry finds every due one with one query
// per shard (as many as the index shards, since shardOf places them); events that failed for
// good sit under their app's dead-letter partition by id.
const webhookShards = IndexShards

func webhookPendingKey(shard int, dueMs int64, id string) itemKey {
	return key(webhookPendingPK(shard), fmt.Sprintf("%013d#%s", dueMs, id))
}
func webhookPendingPK(shard int) string     { return fmt.Sprintf("WEBHOOK#PENDING#%d", shard) }
func webhookDeadPK(app string) string       { return "A#" + app + "#WEBHOOK#DEAD" }
func webhookDeadKey(app, id string) itemKey { return key(webhookDeadPK(app), id) }

// Connections announced to an app's webhook are watched, so that one whose $disconnect never
// came is found and announced when it lapses: one item per connection in a few partitions of
// their own, across apps, sorted by when the connection is next to be looked at, as waiting
// webhook events are (one query per shard finds every due one).
func connWatchKey(shard int, dueMs int64, app, connID string) itemKey {
	return key(connWatchPK(shard), fmt.Sprintf("%013d#%s#%s", dueMs, connID, app))
}
func connWatchPK(shard int) string { return fmt.Sprintf("CONN#WATCH#%d", shard) }

// Erasures waiting for their final sweep sit, across apps, in a few partitions of their own
// sorted by when they are due, so the per-minute run finds every due one with one query per
// shard and a burst of deactivations writes no single partition.
const SweepShards = IndexShards

func sweepPK(shard int) string { return fmt.Sprintf("ERASURE#SWEEP#%d", shard) }
func sweepKey(s PendingSweep) itemKey {
	return key(sweepPK(shardOf(s.ID)), fmt.Sprintf("%013d#%s", s.Due, s.ID))
}

// A numbered page's bookmark sits under its app, by listing, order, page size and page number.
const (
	listingDeactivated = "DEACT"
	listingBanned      = "BAN"
)

func bookmarkKey(app, listing string, descending bool, pageSize, pageNo int) itemKey {
	order := "asc"
	if descending {
		order = "desc"
	}
	return key(appPK(app)+"#PAGE#"+listing, fmt.Sprintf("%s#%d#%d", order, pageSize, pageNo))
}

// ProfileKey is the key of a user's profile item, for reading it past the store (the
// benchmark's raw GetItem baseline).
func ProfileKey(app, user string) map[string]types.AttributeValue { return userKey(app, user).av() }

// userPrefix starts the partition key of every user of app.
func userPrefix(app string) string { return "A#" + app + "#U#" }

// shardOf places a user in one of the index shards.
func shardOf(user string) int {
	h := fnv.New32a()
	h.Write([]byte(user))
	return int(h.Sum32() % IndexShards)
}

// timeKey sorts by time: zero-padded milliseconds, then the user to break ties.
func timeKey(ms int64, user string) string { return fmt.Sprintf("%013d#%s", ms, user) }

// Kinds of item, as KindOf names them: what the benchmark's capacity model adds a call's
// capacity up by, to find the hottest item of each kind.
const (
	KindProfile       = "profile"
	KindBan           = "ban"
	KindPresence      = "presence"
	KindSettings      = "settings"
	KindDevRegistry   = "development registry"
	KindNonce         = "nonce"
	KindListCounter   = "list counter"
	KindFriendCounter = "friend counter" // a change writes both sides; both friend indexes copy its keys and total
	KindListEntry     = "list entry"
	KindFriendEntry   = "friend entry" // a list entry that the ascending friend index copies too
	KindHostedProfile = "hosted profile"
	KindTags          = "tags"
)

// KindOf names the kind of item key k belongs to, or "" for a key of no known kind.
func KindOf(k map[string]types.AttributeValue) string {
	sk, _ := k[AttrSK].(*types.AttributeValueMemberS)
	if sk == nil {
		return ""
	}
	switch sk.Value {
	case skProfile:
		return KindProfile
	case skBan:
		return KindBan
	case skPresence:
		return KindPresence
	case skSettings:
		return KindSettings
	case skDevUsers:
		return KindDevRegistry
	case skNonce:
		return KindNonce
	case skHosted:
		return KindHostedProfile
	case skTags:
		return KindTags
	case counterSK(Blocklist), counterSK(Whitelist):
		return KindListCounter
	case counterSK(Friends):
		return KindFriendCounter
	}
	switch kind, _, _ := strings.Cut(sk.Value, "#"); Kind(kind) {
	case Friends:
		return KindFriendEntry
	case Blocklist, Whitelist:
		return KindListEntry
	}
	return ""
}
