// Package assembly builds the whole service in one process: every AWS client's part, the store,
// every domain service and every function's handler, by the same names as the route table. The
// local twin (infra/local), its gateway (infra/gateway) and the tests run the service this way.
// A deployed function never imports it: its main builds only what it uses (functions/<name>).
package assembly

import (
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"imusers/shared/adapter/console"
	"imusers/shared/adapter/httpapi"
	"imusers/shared/adapter/httpdefault"
	"imusers/shared/adapter/wsapi"
	"imusers/shared/adapter/wsconn"
	"imusers/shared/api/call"
	"imusers/shared/api/messageapi"
	"imusers/shared/api/profileapi"
	"imusers/shared/api/relationapi"
	"imusers/shared/api/userapi"
	"imusers/shared/api/webhookapi"
	"imusers/shared/apps"
	"imusers/shared/aws/connections"
	"imusers/shared/aws/webhookevents"
	"imusers/shared/domain/erasure"
	"imusers/shared/domain/messages"
	"imusers/shared/domain/profiles"
	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
	"imusers/shared/domain/webhooks"
	"imusers/shared/lambdaapp/serverapi"
	"imusers/shared/routes"
	"imusers/shared/service"
	"imusers/shared/store"
)

// Service holds everything the functions need, built once.
type Service struct {
	Config  service.Config
	Apps    *apps.Registry
	Store   *store.Store
	Users   *users.Service
	HTTP    *httpapi.Server
	UserAPI *userapi.API
	// Relations and RelationAPI: blocklist, whitelist, friends, app settings, send permission.
	Relations   *relations.Service
	RelationAPI *relationapi.API
	// Messages and MessageAPI: direct messages, from the App Server and from clients.
	Messages   *messages.Service
	MessageAPI *messageapi.API
	// Profiles and ProfileAPI: hosted profiles and tags.
	Profiles   *profiles.Service
	ProfileAPI *profileapi.API
	Erasure    *erasure.Worker
	// Webhooks delivers events as they are raised; WebhookSchedule runs every minute;
	// WebhookAPI sends test events and replays the dead-letter store.
	Webhooks        *webhooks.Worker
	WebhookSchedule *webhooks.Schedule
	WebhookAPI      *webhookapi.API
	WS              *wsapi.Server
	// Lambda is the Lambda client: erasure jobs and the $default route's forwarding use it.
	Lambda Invoker
	Log    *slog.Logger
}

// Invoker is the Lambda client's Invoke (*lambda.Client, from lambdainvoke.New), as erasure and
// the $default route's forwarding each define it.
type Invoker interface {
	erasure.Invoker
	httpdefault.Invoker
}

// Deps are the outside parts a Service is built on.
type Deps struct {
	Apps   *apps.Registry
	DB     store.DB
	Lambda Invoker
	// Connections is the management API of the connection API; without it, kicks fail.
	Connections connections.API
	Now         func() time.Time
	Log         *slog.Logger
}

// New wires a Service: what each functions/<name>/main.go wires for its own function, all at once.
func New(cfg service.Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	st := store.New(d.DB, cfg.Table)
	starter := &erasure.Starter{Lambda: d.Lambda, Function: cfg.EraseFunction}
	u := &users.Service{Store: st, Eraser: starter, Apps: d.Apps, Now: d.Now, SettingsMaxAge: cfg.SettingsMaxAge}
	eraser := &erasure.Worker{Store: st, Next: starter, Log: d.Log, Reserve: erasure.DefaultReserve, Settle: cfg.ErasureSettle, Now: d.Now}

	policy := webhooks.Policy{AllowLoopback: cfg.WebhookAllowLoopback}
	hooks := &webhooks.Worker{Apps: d.Apps, Store: st, Sender: webhooks.NewSender(policy, d.Now), Log: d.Log, Now: d.Now}
	rel := &relations.Service{Store: st, Now: d.Now}
	eraser.Friends = rel
	msgs := &messages.Service{Store: st, Now: d.Now, Log: d.Log, SettingsMaxAge: cfg.SettingsMaxAge}
	if d.Lambda != nil {
		u.Events = &webhookevents.Raiser{Lambda: d.Lambda, Function: cfg.WebhookFunction, Keep: &webhooks.Keeper{Store: st, Now: d.Now}, Log: d.Log}
		eraser.Events = u.Events
		rel.Later = starter
	}
	prof := &profiles.Service{Store: st, Now: d.Now, Events: u.Events}
	if d.Connections != nil {
		u.Conns, msgs.Conns = d.Connections, d.Connections
	}
	return &Service{
		Config:          cfg,
		Apps:            d.Apps,
		Store:           st,
		Users:           u,
		HTTP:            serverapi.Server(cfg, d.Apps, st, d.Now, d.Log),
		UserAPI:         &userapi.API{Users: u},
		Relations:       rel,
		RelationAPI:     &relationapi.API{Relations: rel, Webhooks: policy},
		Messages:        msgs,
		MessageAPI:      &messageapi.API{Messages: msgs},
		Profiles:        prof,
		ProfileAPI:      &profileapi.API{Profiles: prof},
		Erasure:         eraser,
		Webhooks:        hooks,
		WebhookSchedule: &webhooks.Schedule{Worker: hooks},
		WebhookAPI:      &webhookapi.API{DeadLetters: &webhooks.DeadLetters{Store: st, Now: d.Now}, Worker: hooks},
		WS:              &wsapi.Server{Users: u, Messages: msgs, Relations: rel, Apps: d.Apps, Log: d.Log},
		Lambda:          d.Lambda,
		Log:             d.Log,
	}
}

// Fallback is the handler of the HTTP API's $default route.
func (s *Service) Fallback() *httpdefault.Fallback {
	return &httpdefault.Fallback{Lookup: routes.FunctionFor, Functions: s.Lambda, Prefix: s.Config.FunctionPrefix, Log: s.Log}
}

// operation is a Server API function's operation, and its v4 form (nil when it has none).
type operation struct {
	run call.Handler
	v4  *call.V4Form
}

// operations are the Server API functions' operations, by function name.
func (s *Service) operations() map[string]operation {
	return map[string]operation{
		"userGetToken":        {s.UserAPI.GetToken, userapi.V4GetToken},
		"userTokenExpire":     {s.UserAPI.ExpireTokens, userapi.V4ExpireTokens},
		"userInfo":            {s.UserAPI.Info, userapi.V4Info},
		"userRefresh":         {s.UserAPI.Refresh, userapi.V4Refresh},
		"userDeactivate":      {s.UserAPI.Deactivate, userapi.V4Deactivate},
		"userDeactivateQuery": {s.UserAPI.DeactivatedQuery, userapi.V4DeactivatedQuery},
		"userReactivate":      {s.UserAPI.Reactivate, userapi.V4Reactivate},
		"userQuery":           {s.UserAPI.Query, nil},
		"userDelusers":        {s.UserAPI.DeleteUsers, nil},

		"userBlock":            {s.UserAPI.Block, userapi.V4Block},
		"userUnblock":          {s.UserAPI.Unblock, userapi.V4Unblock},
		"userBlockQuery":       {s.UserAPI.BlockQuery, userapi.V4BlockQuery},
		"userCheckOnline":      {s.UserAPI.CheckOnline, userapi.V4CheckOnline},
		"userCheckOnlineBatch": {s.UserAPI.CheckOnlineBatch, nil},
		"userSummary":          {s.UserAPI.Summary, nil},
		"userChatFbSet":        {s.UserAPI.ChatMuteSet, userapi.V4ChatMuteSet},
		"userChatFbQuerylist":  {s.UserAPI.ChatMuteQuery, userapi.V4ChatMuteQuery},

		"userProfileSet":        {s.ProfileAPI.ProfileSet, profileapi.V4ProfileSet},
		"userProfileClean":      {s.ProfileAPI.ProfileClean, profileapi.V4ProfileClean},
		"userProfileQuery":      {s.ProfileAPI.ProfileQuery, profileapi.V4ProfileQuery},
		"userProfileBatchQuery": {s.ProfileAPI.ProfileBatchQuery, profileapi.V4ProfileBatchQuery},
		"userTagSet":            {s.ProfileAPI.TagSet, nil},
		"userTagBatchSet":       {s.ProfileAPI.TagBatchSet, profileapi.V4TagBatchSet},
		"userTagsGet":           {s.ProfileAPI.TagsGet, profileapi.V4TagsGet},

		"userBlacklistAdd":      {s.RelationAPI.BlacklistAdd, relationapi.V4BlacklistAdd},
		"userBlacklistRemove":   {s.RelationAPI.BlacklistRemove, relationapi.V4BlacklistRemove},
		"userBlacklistQuery":    {s.RelationAPI.BlacklistQuery, relationapi.V4BlacklistQuery},
		"userWhitelistAdd":      {s.RelationAPI.WhitelistAdd, nil},
		"userWhitelistRemove":   {s.RelationAPI.WhitelistRemove, nil},
		"userWhitelistQuery":    {s.RelationAPI.WhitelistQuery, nil},
		"userWhitesettingSet":   {s.RelationAPI.WhitesettingSet, nil},
		"userWhitesettingQuery": {s.RelationAPI.WhitesettingQuery, nil},
		"friendAdd":             {s.RelationAPI.FriendAdd, relationapi.V4FriendAdd},
		"friendDelete":          {s.RelationAPI.FriendDelete, relationapi.V4FriendDelete},
		"friendClean":           {s.RelationAPI.FriendClean, relationapi.V4FriendClean},
		"friendProfileSet":      {s.RelationAPI.FriendProfileSet, relationapi.V4FriendProfileSet},
		"friendGet":             {s.RelationAPI.FriendGet, relationapi.V4FriendGet},
		"friendCheck":           {s.RelationAPI.FriendCheck, relationapi.V4FriendCheck},
		"friendPermissionSet":   {s.RelationAPI.FriendPermissionSet, relationapi.V4FriendPermissionSet},
		"friendPermissionGet":   {s.RelationAPI.FriendPermissionGet, relationapi.V4FriendPermissionGet},
		"appSettingSet":         {s.RelationAPI.AppSettingSet, nil},
		"appSettingQuery":       {s.RelationAPI.AppSettingQuery, nil},
		"appWebhookReplay":      {s.WebhookAPI.Replay, nil},
		"appWebhookTest":        {s.WebhookAPI.Test, nil},

		"messagePrivatePublish": {s.MessageAPI.PrivatePublish, nil},
	}
}

// V4Form is the v4 form of the named function's operation; nil when it has none.
func (s *Service) V4Form(name string) *call.V4Form { return s.operations()[name].v4 }

// others are the Lambda handlers of the functions that are not Server API operations.
func (s *Service) others() map[string]any {
	return map[string]any{
		"eraseUsers":      s.Erasure.Run,
		"webhookDeliver":  s.Webhooks.Handle,
		"webhookSchedule": s.WebhookSchedule.Run,
		"httpDefault":     s.Fallback().Handle,
		"console":         console.Handle,
		"wsAuthorize":     s.WS.Authorize,
		"wsConnect":       wsconn.Connect(s.Log),
		"wsDisconnect":    s.WS.Disconnect,
		"wsPing":          s.WS.Ping,
		"wsSendMessage":   s.WS.SendMessage,

		"wsAddToBlocklist":      s.WS.AddToBlocklist,
		"wsRemoveFromBlocklist": s.WS.RemoveFromBlocklist,
		"wsCheckBlocked":        s.WS.CheckBlocked,
		"wsGetBlocklist":        s.WS.GetBlocklist,
	}
}

// Handler is the Lambda handler of the named function, as its main builds it.
func (s *Service) Handler(name string) (any, error) {
	if op, ok := s.operations()[name]; ok {
		return s.HTTP.Lambda(name, op.run, op.v4), nil
	}
	if h, ok := s.others()[name]; ok {
		return h, nil
	}
	return nil, fmt.Errorf("no function %q in the assembly", name)
}

// Functions names every function Handler serves.
func (s *Service) Functions() []string {
	var names []string
	for name := range s.operations() {
		names = append(names, name)
	}
	for name := range s.others() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
