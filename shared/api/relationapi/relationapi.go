// Package relationapi implements the Server API's relation operations (blocklist, whitelist
// and whitelist mode, friends and their permissions) and the app-setting calls: it reads and
// checks each call's parameters, asks the relations service, and shapes the contract's answer.
package relationapi

import (
	"context"
	"encoding/json"
	"slices"

	"imusers/shared/api/call"
	"imusers/shared/apps"
	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
)

// API serves the relation operations.
type API struct {
	Relations *relations.Service
	// Webhooks is where the app-setting call lets webhooks point.
	Webhooks webhooks.Policy
}

// Limits of the contract, and ours where it has none (README).
const (
	maxListChange  = 20   // ids per blocklist/whitelist add or remove, and per whitesetting call
	maxListPage    = 1000 // blocklist/whitelist page size (also the default)
	maxFriendBatch = 100  // ids per friend delete, check, permission call
	maxFriendPage  = 100
	defFriendPage  = 50
	maxExtra       = 128
	maxRemark      = 64
	maxExtProfile  = 2048 // bytes of friendExtProfile
	maxExtKeys     = 10
	// maxPageToken only bounds the read; a longer token cannot be ours and fails as malformed.
	maxPageToken = form.MaxBody
)

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// notSelf refuses a list of targets that names its owner.
func notSelf(param string, targets []string, owner string) error {
	if slices.Contains(targets, owner) {
		return apierr.Malformed(param, "must not contain userId itself")
	}
	return nil
}

func (a *API) listChange(ctx context.Context, r *call.Request, list relations.List, param string, add bool) (any, error) {
	p := r.Params
	owner := p.UserID("userId")
	targets := p.UserIDs(param, maxListChange)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := notSelf(param, targets, owner); err != nil {
		return nil, err
	}
	if add {
		return nil, a.Relations.AddToList(ctx, r.App, list, owner, targets, relations.ByServer)
	}
	return nil, a.Relations.RemoveFromList(ctx, r.App, list, owner, targets, relations.ByServer)
}

// ListPage is a page of a blocklist or whitelist.
type ListPage struct {
	Users []string `json:"users"`
	Next  string   `json:"next,omitempty"` // only when another page follows
}

func (a *API) listQuery(ctx context.Context, r *call.Request, list relations.List) (any, error) {
	p := r.Params
	owner := p.UserID("userId")
	tok := p.Bytes("pageToken", maxPageToken)
	size := p.Int("size", 1, maxListPage, maxListPage)
	if err := p.Err(); err != nil {
		return nil, err
	}
	ids, next, err := a.Relations.ListPage(ctx, r.App, list, owner, tok, int(size))
	if err != nil {
		return nil, err
	}
	return ListPage{nonNil(ids), next}, nil
}

// BlacklistAdd: /user/blacklist/add.json (and /user/blocklist/add.json).
func (a *API) BlacklistAdd(ctx context.Context, r *call.Request) (any, error) {
	return a.listChange(ctx, r, relations.Blocklist, "blackUserId", true)
}

// BlacklistRemove: /user/blacklist/remove.json (and /user/blocklist/remove.json).
func (a *API) BlacklistRemove(ctx context.Context, r *call.Request) (any, error) {
	return a.listChange(ctx, r, relations.Blocklist, "blackUserId", false)
}

// BlacklistQuery: /user/blacklist/query.json (and /user/blocklist/query.json).
func (a *API) BlacklistQuery(ctx context.Context, r *call.Request) (any, error) {
	return a.listQuery(ctx, r, relations.Blocklist)
}

// WhitelistAdd: /user/whitelist/add.json.
func (a *API) WhitelistAdd(ctx context.Context, r *call.Request) (any, error) {
	return a.listChange(ctx, r, relations.Whitelist, "whiteUserId", true)
}

// WhitelistRemove: /user/whitelist/remove.json.
func (a *API) WhitelistRemove(ctx context.Context, r *call.Request) (any, error) {
	return a.listChange(ctx, r, relations.Whitelist, "whiteUserId", false)
}

// WhitelistQuery: /user/whitelist/query.json.
func (a *API) WhitelistQuery(ctx context.Context, r *call.Request) (any, error) {
	return a.listQuery(ctx, r, relations.Whitelist)
}

// WhitesettingSet: /user/whitesetting/set.json.
func (a *API) WhitesettingSet(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	ids := p.UserIDs("userId", maxListChange)
	on := p.RequiredInt("whiteSetting", 0, 1)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, a.Relations.SetWhiteMode(ctx, r.App, ids, on == 1)
}

type whiteSetting struct {
	UserID       string `json:"userId"`
	WhiteSetting string `json:"whiteSetting"` // "1" or "0": the official SDKs read a string
}

// WhitesettingQuery: /user/whitesetting/query.json.
func (a *API) WhitesettingQuery(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxListChange)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	modes, err := a.Relations.WhiteModes(ctx, r.App, ids)
	if err != nil {
		return nil, err
	}
	out := make([]whiteSetting, len(ids))
	for i, id := range ids {
		out[i] = whiteSetting{id, "0"}
		if modes[id] {
			out[i].WhiteSetting = "1"
		}
	}
	return struct {
		Users []whiteSetting `json:"users"`
	}{out}, nil
}

// FriendAdd: /friend/add.json.
func (a *API) FriendAdd(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	owner := p.UserID("userId")
	target := p.UserID("targetId")
	// The official server SDKs leave optType out by default: it then honours the permission.
	opt := p.Int("optType", 1, 2, 1)
	p.Text("extra", maxExtra) // checked, not kept: it would travel with an approval request
	if err := p.Err(); err != nil {
		return nil, err
	}
	if target == owner {
		return nil, apierr.Malformed("targetId", "must differ from userId")
	}
	return nil, a.Relations.AddFriend(ctx, r.App, owner, target, opt == 2)
}

// FriendDelete: /friend/delete.json.
func (a *API) FriendDelete(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	owner := p.UserID("userId")
	targets := p.UserIDs("targetIds", maxFriendBatch)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := notSelf("targetIds", targets, owner); err != nil {
		return nil, err
	}
	return nil, a.Relations.DeleteFriends(ctx, r.App, owner, targets)
}

// FriendClean: /friend/clean.json.
func (a *API) FriendClean(ctx context.Context, r *call.Request) (any, error) {
	owner := r.Params.UserID("userId")
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, a.Relations.CleanFriends(ctx, r.App, owner)
}

// FriendProfileSet: /friend/profile/set.json. A parameter left out leaves its field as it is;
// sent empty, it clears the field.
func (a *API) FriendProfileSet(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	owner := p.UserID("userId")
	target := p.UserID("targetId")
	var remark, ext *string
	if p.Has("remarkName") {
		v := p.Text("remarkName", maxRemark)
		remark = &v
	}
	if p.Has("friendExtProfile") {
		v := p.Bytes("friendExtProfile", maxExtProfile)
		ext = &v
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if remark == nil && ext == nil {
		return nil, apierr.New(apierr.BadParam, "remarkName or friendExtProfile is required")
	}
	if ext != nil && *ext != "" {
		if err := checkExtProfile(*ext); err != nil {
			return nil, err
		}
	}
	return nil, a.Relations.SetFriendProfile(ctx, r.App, owner, target, remark, ext)
}

// checkExtProfile accepts a JSON object of at most maxExtKeys keys.
func checkExtProfile(s string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &obj); err != nil || obj == nil {
		return apierr.Malformed("friendExtProfile", "must be a JSON object")
	}
	if len(obj) > maxExtKeys {
		return apierr.TooMany("friendExtProfile", maxExtKeys)
	}
	return nil
}

// Friend is one entry of a friend page.
type Friend struct {
	UserID     string `json:"userId"`
	Name       string `json:"name"` // the friend's name when the friendship was made
	RemarkName string `json:"remarkName"`
	ExtProfile string `json:"friendExtProfile"` // the JSON string as set, "" when never set
	Time       int64  `json:"time"`             // ms the friendship was made
}

// FriendGet: /friend/get.json.
func (a *API) FriendGet(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	owner := p.UserID("userId")
	tok := p.Bytes("pageToken", maxPageToken)
	size := p.Int("size", 1, maxFriendPage, defFriendPage)
	order := p.Int("order", 0, 1, 0)
	if err := p.Err(); err != nil {
		return nil, err
	}
	page, err := a.Relations.Friends(ctx, r.App, owner, tok, int(size), order == 1)
	if err != nil {
		return nil, err
	}
	list := make([]Friend, len(page.Friends))
	for i, e := range page.Friends {
		list[i] = Friend{e.Target, e.Name, e.Remark, e.Ext, e.At}
	}
	return FriendPage{page.Next, page.Total, list}, nil
}

// FriendPage is FriendGet's answer.
type FriendPage struct {
	PageToken  string   `json:"pageToken"` // "" on the last page
	TotalCount int64    `json:"totalCount"`
	FriendList []Friend `json:"friendList"`
}

// Results of a friendship check, as the platform numbers them.
const (
	notFriends    = 1
	mutualFriends = 4
)

// CheckResult is one target of a friendship check.
type CheckResult struct {
	UserID string `json:"userId"`
	Result int    `json:"result"`
}

// FriendCheck: /friend/check.json.
func (a *API) FriendCheck(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	owner := p.UserID("userId")
	targets := p.UserIDs("targetIds", maxFriendBatch)
	if err := p.Err(); err != nil {
		return nil, err
	}
	friends, err := a.Relations.CheckFriends(ctx, r.App, owner, targets)
	if err != nil {
		return nil, err
	}
	out := make([]CheckResult, len(targets))
	for i, t := range targets {
		out[i] = CheckResult{t, notFriends}
		if friends[t] {
			out[i].Result = mutualFriends
		}
	}
	return FriendChecks{out}, nil
}

// FriendChecks is FriendCheck's answer.
type FriendChecks struct {
	Results []CheckResult `json:"results"`
}

// FriendPermissionSet: /friend/permission/set.json.
func (a *API) FriendPermissionSet(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	ids := p.UserIDs("userIds", maxFriendBatch)
	perm := p.RequiredInt("permissionType", 1, 3)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, a.Relations.SetPermission(ctx, r.App, ids, relations.Permission(perm))
}

// PermissionSetting is one user's friend permission.
type PermissionSetting struct {
	UserID string `json:"userId"`
	Type   int    `json:"type"`
}

// FriendPermissionGet: /friend/permission/get.json.
func (a *API) FriendPermissionGet(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userIds", maxFriendBatch)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	perms, err := a.Relations.Permissions(ctx, r.App, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PermissionSetting, len(ids))
	for i, id := range ids {
		out[i] = PermissionSetting{id, int(perms[id])}
	}
	return Permissions{out}, nil
}

// Permissions is FriendPermissionGet's answer.
type Permissions struct {
	Settings []PermissionSetting `json:"permissionSettings"`
}

type appSettings struct {
	FriendsOnlyDirectMessages int               `json:"friendsOnlyDirectMessages"` // 1 on, 0 off
	TokenTTLDays              int               `json:"tokenTtlDays"`              // 0: tokens do not age
	WebhookURL                string            `json:"webhookUrl"`
	WebhookFormat             string            `json:"webhookFormat"`
	WebhookEvents             []string          `json:"webhookEvents"`
	WebhookURLs               map[string]string `json:"webhookUrls"`
}

// AppSettingSet: /app/setting/set.json (ours: the platform keeps these settings in its
// console). Every parameter is optional and those left out keep their values; a call that sets
// nothing is a 1002.
func (a *API) AppSettingSet(ctx context.Context, r *call.Request) (any, error) {
	c, err := a.settingsChange(r)
	if err != nil {
		return nil, err
	}
	return nil, a.Relations.UpdateSettings(ctx, r.App, c)
}

// settingsChange reads the settings a call changes and checks each (see webhooks for the URLs).
func (a *API) settingsChange(r *call.Request) (relations.SettingsChange, error) {
	p, env := r.Params, r.App.Environment
	var c relations.SettingsChange
	if p.Has("friendsOnlyDirectMessages") {
		on := p.RequiredInt("friendsOnlyDirectMessages", 0, 1) == 1
		c.FriendsOnlyDirectMessages = &on
	}
	if p.Has("tokenTtlDays") {
		days := int(p.RequiredInt("tokenTtlDays", 0, 30))
		if p.Err() == nil && !slices.Contains(users.TokenLifetimes, days) {
			return c, apierr.Malformed("tokenTtlDays", "must be 0, 1, 7 or 30")
		}
		c.TokenTTLDays = &days
	}
	if p.Has("webhookUrl") {
		u := p.Bytes("webhookUrl", form.MaxBody)
		c.WebhookURL = &u
	}
	if p.Has("webhookFormat") {
		f := p.Bytes("webhookFormat", form.MaxBody)
		c.WebhookFormat = &f
	}
	if p.Has(relations.ParamWebhookEvents) {
		e := p.Strings(relations.ParamWebhookEvents, len(webhooks.Types))
		c.WebhookEvents = &e
	}
	urls := p.Bytes("webhookUrls", form.MaxBody)
	if err := p.Err(); err != nil {
		return c, err
	}
	if c == (relations.SettingsChange{}) && !p.Has("webhookUrls") {
		return c, apierr.New(apierr.BadParam, "no setting given: name at least one of friendsOnlyDirectMessages, tokenTtlDays, webhookUrl, webhookFormat, webhookEvents, webhookUrls")
	}
	return c, a.checkWebhook(&c, p.Has("webhookUrls"), urls, env)
}

// checkWebhook checks the webhook settings a call changes, and reads webhookUrls into c.
func (a *API) checkWebhook(c *relations.SettingsChange, hasURLs bool, urls string, env apps.Environment) error {
	if c.WebhookURL != nil {
		if err := a.Webhooks.CheckURL("webhookUrl", *c.WebhookURL, env); err != nil {
			return err
		}
	}
	if c.WebhookFormat != nil {
		if err := webhooks.CheckFormat("webhookFormat", *c.WebhookFormat); err != nil {
			return err
		}
		if c.WebhookEvents != nil {
			if err := webhooks.CheckEvents(relations.ParamWebhookEvents, *c.WebhookEvents, *c.WebhookFormat); err != nil {
				return err
			}
		}
	}
	if hasURLs {
		m, err := a.Webhooks.ParseURLs("webhookUrls", urls, env)
		if err != nil {
			return err
		}
		c.WebhookURLs = &m
	}
	return nil
}

// AppSettingQuery: /app/setting/query.json.
func (a *API) AppSettingQuery(ctx context.Context, r *call.Request) (any, error) {
	s, err := a.Relations.Settings(ctx, r.App)
	if err != nil {
		return nil, err
	}
	w := webhooks.Settings(s.Webhook)
	out := appSettings{TokenTTLDays: s.TokenTTLDays, WebhookURL: w.URL, WebhookFormat: w.EffectiveFormat(), WebhookEvents: w.EffectiveEvents(), WebhookURLs: w.URLs}
	if s.FriendsOnlyDirectMessages {
		out.FriendsOnlyDirectMessages = 1
	}
	if out.WebhookURLs == nil {
		out.WebhookURLs = map[string]string{}
	}
	return out, nil
}
