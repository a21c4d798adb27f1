// Package relations holds the rules of what users keep about each other (blocklist, whitelist
// and its mode, friends and who may add them), of the app's "only friends may send direct
// messages" setting, and of whether one direct message may pass. It knows nothing about API
// Gateway; the store behind it is the only thing that touches DynamoDB.
package relations

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"imusers/shared/apps"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/store"
	"imusers/shared/store/pagetoken"
)

// MaxListEntries is how many users one user's blocklist, and its whitelist, may hold.
const MaxListEntries = 3000

// Domain errors; the API layer gives each its code. Unknown and deactivated users are the users
// package's errors, so they carry the same codes everywhere.
var (
	ErrListFull      = errors.New("the list would hold more than 3000 users")
	ErrNoFriendAdds  = errors.New("the target accepts no friend requests")
	ErrNeedsApproval = errors.New("the target accepts friend requests only with approval, which this service does not run; nothing was stored")
	ErrNotFriends    = errors.New("the users are not friends")
	ErrBadPageToken  = errors.New("pageToken is malformed, altered, or belongs to another list")
	// ErrOwnerGone: a client's own list, but its user was deactivated or deleted since it
	// connected (a frame racing the kick).
	ErrOwnerGone = errors.New("the connection's user is deactivated or no longer exists")
)

// Actor says who changes or reads a user's list, which decides how the owner is judged.
type Actor int

const (
	// ByServer is the App Server: the owner must exist (3001) and be active (3002).
	ByServer Actor = iota
	// ByClient is the owner itself, over its connection: a deactivated or deleted owner is
	// ErrOwnerGone (3009) and a banned one users.ErrBlocked (3003), as for its direct messages.
	ByClient
)

// judge is the check of the owner that a, the owner's actor, applies at now (ms).
func (a Actor) judge(owner string, now int64) store.Check {
	return func(known map[string]*store.Member) error {
		if a == ByServer {
			return active(known, owner)
		}
		switch m := known[owner]; {
		case m == nil || m.Deactivated():
			return ErrOwnerGone
		case now < m.BanUntil:
			return fmt.Errorf("%w: %s", users.ErrBlocked, owner)
		}
		return nil
	}
}

// Permission says who may add a user as a friend with optType 1.
type Permission int

const (
	AnyoneMayAdd  Permission = 1 // the default
	NeedsApproval Permission = 2
	NobodyMayAdd  Permission = 3
)

// List is one of the two lists a user keeps of other users.
type List int

const (
	Blocklist List = iota + 1 // users the owner takes no direct messages from
	Whitelist                 // in whitelist mode, the only users the owner takes them from
)

// kind is the store's name for the list.
func (l List) kind() store.Kind {
	switch l {
	case Blocklist:
		return store.Blocklist
	case Whitelist:
		return store.Whitelist
	}
	panic(fmt.Sprintf("relations: unknown list %d", int(l)))
}

// Service applies the rules.
type Service struct {
	Store *store.Store
	Now   func() time.Time
	// Later finishes a /friend/clean.json that runs short of time (the erasure function, invoked
	// asynchronously); nil runs every clean to the end in the call.
	Later Cleaner
}

// CleanJob is the rest of a clean: the friendships of Owner made no later than Before (ms).
type CleanJob struct {
	App    string `json:"app"`
	Owner  string `json:"owner"`
	Before int64  `json:"before"`
}

// Cleaner finishes a clean elsewhere.
type Cleaner interface {
	CleanFriends(ctx context.Context, job CleanJob) error
}

// CleanReserve is the time a clean keeps back before its call's deadline: a change of a hundred
// friendships begun within it might not end in time, so the rest goes to Later instead.
const CleanReserve = 4 * time.Second

func (s *Service) nowMS() int64 { return s.Now().UnixMilli() }

// active refuses, naming the user, the first of ids that is unknown or deactivated.
func active(known map[string]*store.Member, ids ...string) error {
	for _, id := range ids {
		switch u := known[id]; {
		case u == nil:
			return fmt.Errorf("%w: %s", users.ErrUnknownUser, id)
		case u.Deactivated():
			return fmt.Errorf("%w: %s", users.ErrDeactivated, id)
		}
	}
	return nil
}

// domainErr turns the store's errors into the domain's, naming the user at fault.
func domainErr(err error) error {
	var ue *store.UserError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue) && errors.Is(ue.Err, store.ErrNotFound):
		return fmt.Errorf("%w: %s", users.ErrUnknownUser, ue.User)
	case errors.As(err, &ue) && errors.Is(ue.Err, store.ErrDeactivated):
		return fmt.Errorf("%w: %s", users.ErrDeactivated, ue.User)
	case errors.Is(err, store.ErrListFull):
		return ErrListFull
	case errors.Is(err, store.ErrBadCursor):
		return ErrBadPageToken
	}
	return err
}

// AddToList puts targets on owner's blocklist or whitelist, for the App Server or the owner's
// own client (by). The owner must exist and be active (and, from its client, not be banned);
// targets are userIds, registered or not yet (a list applies to whoever sends under that id).
// Users already listed stay as they are (and keep their place).
func (s *Service) AddToList(ctx context.Context, app apps.App, list List, owner string, targets []string, by Actor) error {
	now := s.nowMS()
	return domainErr(s.Store.AddEntries(ctx, app.Key, list.kind(), owner, targets, MaxListEntries, now, by.judge(owner, now)))
}

// RemoveFromList takes targets off owner's list, judging the owner as AddToList does. Targets
// need not exist (a deleted user can be taken off); targets not listed are ignored.
func (s *Service) RemoveFromList(ctx context.Context, app apps.App, list List, owner string, targets []string, by Actor) error {
	return domainErr(s.Store.RemoveEntries(ctx, app.Key, list.kind(), owner, targets, by.judge(owner, s.nowMS())))
}

// Listed reports whether target is on owner's list, judging the owner as AddToList does, in one
// batched read (the owner's profile and ban, and the entry).
func (s *Service) Listed(ctx context.Context, app apps.App, list List, owner, target string, by Actor) (bool, error) {
	m, listed, err := s.Store.Listed(ctx, app.Key, owner, list.kind(), target)
	if err != nil {
		return false, err
	}
	if err := by.judge(owner, s.nowMS())(map[string]*store.Member{owner: m}); err != nil {
		return false, err
	}
	return listed, nil
}

// ListPage returns one page of owner's blocklist or whitelist, newest first, in one Query, and
// the token of the next page ("" at the end). An unknown user's list is empty: telling would
// cost a second read.
func (s *Service) ListPage(ctx context.Context, app apps.App, list List, owner, pageToken string, size int) ([]string, string, error) {
	scope := tokenScope(app, list.kind(), owner, "")
	after, err := openCursor(app, scope, pageToken)
	if err != nil {
		return nil, "", err
	}
	page, err := s.Store.ListEntries(ctx, app.Key, owner, list.kind(), after, size, false)
	if err != nil {
		return nil, "", domainErr(err)
	}
	ids := make([]string, len(page.Entries))
	for i, e := range page.Entries {
		ids[i] = e.Target
	}
	next := ""
	if page.Next != "" {
		next = pagetoken.Seal(pagetoken.Key(app.SigningKey()), scope, []byte(page.Next))
	}
	return ids, next, nil
}

// tokenScope binds a page token to its app, list, owner and (friends) order: a token of any
// other list does not open.
func tokenScope(app apps.App, kind store.Kind, owner, order string) string {
	return app.Key + "\x00" + string(kind) + "\x00" + owner + "\x00" + order
}

func openCursor(app apps.App, scope, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	p, err := pagetoken.Open(pagetoken.Key(app.SigningKey()), scope, tok)
	if err != nil || len(p) == 0 {
		return "", ErrBadPageToken
	}
	return string(p), nil
}

// SetWhiteMode turns whitelist mode on or off for existing, active users (all or none: one
// batched read checks them first).
func (s *Service) SetWhiteMode(ctx context.Context, app apps.App, ids []string, on bool) error {
	known, err := s.Store.GetMembers(ctx, app.Key, ids)
	if err != nil {
		return err
	}
	if err := active(known, ids...); err != nil {
		return err
	}
	return domainErr(s.Store.SetWhiteMode(ctx, app.Key, ids, on))
}

// WhiteModes reports whitelist mode for each user, in one batched read.
func (s *Service) WhiteModes(ctx context.Context, app apps.App, ids []string) (map[string]bool, error) {
	known, err := s.Store.GetMembers(ctx, app.Key, ids)
	if err != nil {
		return nil, err
	}
	if err := active(known, ids...); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = known[id].WhiteMode
	}
	return out, nil
}

// AddFriend makes owner and target friends on both sides. Unless direct, the target's
// permission decides: anyone (added), approval (ErrNeedsApproval, nothing stored: the contract
// has no call that would approve), nobody (ErrNoFriendAdds).
func (s *Service) AddFriend(ctx context.Context, app apps.App, owner, target string, direct bool) error {
	return domainErr(s.Store.AddFriendship(ctx, app.Key, owner, target, s.nowMS(), func(known map[string]*store.Member) error {
		if err := active(known, owner, target); err != nil {
			return err
		}
		if direct {
			return nil
		}
		switch Permission(known[target].FriendPerm) {
		case NeedsApproval:
			return fmt.Errorf("%w: %s", ErrNeedsApproval, target)
		case NobodyMayAdd:
			return fmt.Errorf("%w: %s", ErrNoFriendAdds, target)
		}
		return nil
	}))
}

// DeleteFriends ends owner's friendships with targets, on both sides; targets that are not
// friends are ignored.
func (s *Service) DeleteFriends(ctx context.Context, app apps.App, owner string, targets []string) error {
	return domainErr(s.Store.RemoveFriendships(ctx, app.Key, owner, targets,
		func(known map[string]*store.Member) error { return active(known, owner) }))
}

// CleanFriends ends every friendship of owner, on both sides: in the call, as far as its time
// allows (thousands of friendships take well under a second a thousand in AWS), and the rest in
// the background through Later, which ends only the friendships made before the call, so a
// friend added after the answer stays.
func (s *Service) CleanFriends(ctx context.Context, app apps.App, owner string) error {
	before := s.nowMS()
	stop := func() bool {
		deadline, ok := ctx.Deadline()
		return s.Later != nil && ok && time.Until(deadline) < CleanReserve
	}
	done, err := s.Store.ClearFriends(ctx, app.Key, owner, before,
		func(known map[string]*store.Member) error { return active(known, owner) }, stop)
	if err != nil || done {
		return domainErr(err)
	}
	return s.Later.CleanFriends(context.WithoutCancel(ctx), CleanJob{App: app.Key, Owner: owner, Before: before})
}

// FinishClean is the background part of a clean: it ends what the job names, as far as stop
// allows, and hands the rest to Later again. The owner was judged when the clean was called.
func (s *Service) FinishClean(ctx context.Context, job CleanJob, stop func() bool) error {
	if s.Later == nil {
		stop = nil // nothing could take the rest over
	}
	done, err := s.Store.ClearFriends(ctx, job.App, job.Owner, job.Before, nil, stop)
	if err != nil || done {
		return err
	}
	return s.Later.CleanFriends(context.WithoutCancel(ctx), job)
}

// SetFriendProfile sets what owner keeps about a friend: the remark and the extension profile
// (nil leaves a field as it is, "" clears it).
func (s *Service) SetFriendProfile(ctx context.Context, app apps.App, owner, target string, remark, ext *string) error {
	err := s.Store.SetFriendProfile(ctx, app.Key, owner, target, remark, ext)
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// Only now does it matter why: an unknown owner, a deactivated one, or no friendship.
	known, err := s.Store.GetMembers(ctx, app.Key, []string{owner})
	if err != nil {
		return err
	}
	if err := active(known, owner); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s has no friend %s", ErrNotFriends, owner, target)
}

// FriendPage is one page of a friend list.
type FriendPage struct {
	Friends []store.Entry
	// Total counts all of owner's friends: read with the first page, and carried by the page
	// token to the later pages (so it is the count when the listing began).
	Total int64
	Next  string // "" on the last page
}

// Friends returns one page of owner's friends by time added, oldest or newest first, in one
// Query.
func (s *Service) Friends(ctx context.Context, app apps.App, owner, pageToken string, size int, newestFirst bool) (FriendPage, error) {
	order := "asc"
	if newestFirst {
		order = "desc"
	}
	scope := tokenScope(app, store.Friends, owner, order)
	var total int64
	after, err := openCursor(app, scope, pageToken)
	if err != nil {
		return FriendPage{}, err
	}
	if after != "" {
		// A friends token carries the count ahead of the position.
		t, k := binary.Uvarint([]byte(after))
		if k <= 0 || k == len(after) {
			return FriendPage{}, ErrBadPageToken
		}
		total, after = int64(t), after[k:]
	}
	page, err := s.Store.ListEntries(ctx, app.Key, owner, store.Friends, after, size, !newestFirst)
	if err != nil {
		return FriendPage{}, domainErr(err)
	}
	if page.HasTotal {
		total = page.Total
	}
	out := FriendPage{Friends: page.Entries, Total: total}
	if page.Next != "" {
		payload := append(binary.AppendUvarint(nil, uint64(total)), page.Next...)
		out.Next = pagetoken.Seal(pagetoken.Key(app.SigningKey()), scope, payload)
	}
	return out, nil
}

// CheckFriends reports, for each target, whether owner and target are friends, reading owner's
// profile and entries in one batched read (two at exactly 100 targets).
func (s *Service) CheckFriends(ctx context.Context, app apps.App, owner string, targets []string) (map[string]bool, error) {
	m, friends, err := s.Store.FriendsOf(ctx, app.Key, owner, targets)
	if err != nil {
		return nil, err
	}
	if err := active(map[string]*store.Member{owner: m}, owner); err != nil {
		return nil, err
	}
	return friends, nil
}

// SetPermission records who may add each user as a friend (all or none).
func (s *Service) SetPermission(ctx context.Context, app apps.App, ids []string, p Permission) error {
	known, err := s.Store.GetMembers(ctx, app.Key, ids)
	if err != nil {
		return err
	}
	if err := active(known, ids...); err != nil {
		return err
	}
	return domainErr(s.Store.SetFriendPermission(ctx, app.Key, ids, int(p)))
}

// Permissions reports who may add each user as a friend (AnyoneMayAdd unless set), in one
// batched read.
func (s *Service) Permissions(ctx context.Context, app apps.App, ids []string) (map[string]Permission, error) {
	known, err := s.Store.GetMembers(ctx, app.Key, ids)
	if err != nil {
		return nil, err
	}
	if err := active(known, ids...); err != nil {
		return nil, err
	}
	out := make(map[string]Permission, len(ids))
	for _, id := range ids {
		out[id] = Permission(known[id].FriendPerm)
		if out[id] == 0 {
			out[id] = AnyoneMayAdd
		}
	}
	return out, nil
}

// SettingsChange names the app settings a call changes; nil fields keep their values.
type SettingsChange = store.AppSettingsChange

// UpdateSettings changes the app settings a call names and keeps the others. A list of webhook
// events sent without a format is checked against the format stored, read first.
func (s *Service) UpdateSettings(ctx context.Context, app apps.App, c SettingsChange) error {
	if c.WebhookEvents != nil && c.WebhookFormat == nil {
		cur, err := s.Store.GetAppSettings(ctx, app.Key)
		if err != nil {
			return err
		}
		format := webhooks.Settings(cur.Webhook).EffectiveFormat()
		if err := webhooks.CheckEvents(ParamWebhookEvents, *c.WebhookEvents, format); err != nil {
			return err
		}
	}
	return s.Store.UpdateAppSettings(ctx, app.Key, c)
}

// ParamWebhookEvents is the parameter that names the webhook events an app wants.
const ParamWebhookEvents = "webhookEvents"

// Settings reads the app's settings.
func (s *Service) Settings(ctx context.Context, app apps.App) (store.AppSettings, error) {
	return s.Store.GetAppSettings(ctx, app.Key)
}
