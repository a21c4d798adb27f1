// Package routes is the one table of the service's functions: each one's folder under
// functions/, its kind, its route, its throttling and the AWS actions it calls. It is data only:
// template.yaml is checked against it (infra/template), the local gateway is built from it
// (infra/gateway, with each function's handler from shared/assembly), and a test checks that
// each function's main links the AWS clients of its actions and no other. The mains do not
// import it.
package routes

import "slices"

// Kind says what invokes a function.
type Kind string

const (
	HTTP       Kind = "http"       // a Server API route of the HTTP API
	Worker     Kind = "worker"     // invoked asynchronously by other functions
	WebSocket  Kind = "websocket"  // a route of the client connection API (WebSocket API)
	Authorizer Kind = "authorizer" // the connection API's $connect authorizer
	Default    Kind = "default"    // the HTTP API's $default route: requests no route matched
	Page       Kind = "page"       // GET routes of the HTTP API serving the operator console's files
)

// Route is one function.
type Route struct {
	Name    string   // folder under functions/; the template's resource is <Name>Function
	Kind    Kind     //
	Path    string   // HTTP path (Kind HTTP and Page; the $default route has none)
	Aliases []string // further paths served by the same function
	// V4 are the function's paths in the v4 Server API (JSON bodies): the contract's path, then
	// its alias where the contract names one. The same function serves both APIs.
	V4 []string
	// RateLimit is the route's steady requests per second (the platform's published limits).
	RateLimit int
	// RateParameter, when set, names the template parameter that holds the route's throttle in
	// AWS instead, and DeployedRate is its default: what design.md's load profile sends through
	// one deployment, where the platform's per-app limit would refuse it.
	RateParameter string
	DeployedRate  int
	// RouteKey is the WebSocket API route (Kind WebSocket): $connect, $disconnect, or the value
	// of a frame's "action" field.
	RouteKey string
	// Actions are the AWS actions the function calls, besides reading the apps parameter:
	// its least-privilege policy in template.yaml grants exactly these.
	Actions []string
	// Invokes names the functions this one invokes (lambda:InvokeFunction on exactly those);
	// the $default route invokes every Server API function instead.
	Invokes []string
	// Signs: the function signs with the apps' secrets (webhook deliveries; the blocklist
	// frames' page tokens), so it loads the apps like the functions that check signatures.
	Signs bool
	// Schedule is the EventBridge rate the function runs on (template.yaml's Schedule event;
	// the local twin invokes it on the same rate), "" for none.
	Schedule string
}

// AWS actions the functions use.
const (
	GetItem        = "dynamodb:GetItem"
	UpdateItem     = "dynamodb:UpdateItem"
	DeleteItem     = "dynamodb:DeleteItem"
	Query          = "dynamodb:Query"
	BatchGetItem   = "dynamodb:BatchGetItem"
	BatchWriteItem = "dynamodb:BatchWriteItem"
	// Invoke starts the functions the route's Invokes names; InvokeErasure starts erasure jobs.
	Invoke        = "lambda:InvokeFunction"
	InvokeErasure = Invoke
	// InvokeOperations is the same action on the Server API functions, for the $default route.
	InvokeOperations = "lambda:InvokeFunction"
	// ManageConnections lets a function send to and close clients' connections (kicks).
	ManageConnections = "execute-api:ManageConnections"
	// PutItem records a request's nonce when IM_NONCE_REPLAY_PROTECTION is on; init grants it
	// to every Server API function, so switching the protection on needs no new deployment.
	PutItem = "dynamodb:PutItem"
)

// ConnectionRateParameter is the template parameter that throttles the connection API's stage
// (every WebSocket route, $connect included); ConnectionDeployedRate is its default, sized for
// design.md's load profile: 20,000 messages/s, a reconnect storm of 50,000 connects/s and the
// pings of a million connections.
const (
	ConnectionRateParameter = "ConnectionRateLimit"
	ConnectionDeployedRate  = 80_000
)

// LoadsApps reports whether the function reads the apps' secrets (from SSM in AWS): the Server
// API functions check each request's signature, and the authorizer checks each client's token.
// The webhook functions and the blocklist frames read them to sign.
func (r Route) LoadsApps() bool { return r.Kind == HTTP || r.Kind == Authorizer || r.Signs }

// Paths lists the route's path, its aliases and its v4 paths.
func (r Route) Paths() []string {
	return append(append([]string{r.Path}, r.Aliases...), r.V4...)
}

const (
	defaultRate  = 100
	getTokenRate = 200
	tagBatchRate = 10
)

// Functions invoked by others.
const (
	erasure        = "eraseUsers"
	webhookDeliver = "webhookDeliver"
)

// The functions invoked: erasure, and webhook delivery by the calls that raise events.
var (
	erases = []string{erasure}
	// A function that raises webhook events invokes the delivery function, and keeps the events
	// in the table with one batched write when that invocation fails.
	raises = []string{webhookDeliver}
)

// All is every function of the service.
var All = []Route{
	{Name: "userGetToken", Kind: HTTP, Path: "/user/getToken.json", V4: []string{"/v4/auth/access-token/issue"}, RateLimit: getTokenRate,
		RateParameter: "GetTokenRateLimit", DeployedRate: 5_000, Actions: []string{UpdateItem}},
	{Name: "userTokenExpire", Kind: HTTP, Path: "/user/token/expire.json", V4: []string{"/v4/auth/access-token/expire"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem}},
	{Name: "userInfo", Kind: HTTP, Path: "/user/info.json", V4: []string{"/v4/user/get"}, RateLimit: defaultRate, Actions: []string{GetItem}},
	{Name: "userRefresh", Kind: HTTP, Path: "/user/refresh.json", V4: []string{"/v4/user/update"}, RateLimit: defaultRate, Actions: []string{UpdateItem, GetItem}},
	{Name: "userDeactivate", Kind: HTTP, Path: "/user/deactivate.json", V4: []string{"/v4/user/soft-delete"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, InvokeErasure, ManageConnections}, Invokes: erases},
	{Name: "userDeactivateQuery", Kind: HTTP, Path: "/user/deactivate/query.json", V4: []string{"/v4/user/soft-deleted/list"}, RateLimit: defaultRate, Actions: []string{Query, GetItem}},
	{Name: "userReactivate", Kind: HTTP, Path: "/user/reactivate.json", V4: []string{"/v4/user/restore"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem, Invoke}, Invokes: raises},
	{Name: "userQuery", Kind: HTTP, Path: "/user/query.json", RateLimit: defaultRate, Actions: []string{Query}},
	{Name: "userDelusers", Kind: HTTP, Path: "/user/delusers.json", RateLimit: defaultRate, Actions: []string{GetItem, BatchGetItem, BatchWriteItem, UpdateItem, InvokeErasure, ManageConnections}, Invokes: erases},
	{Name: erasure, Kind: Worker, Schedule: "rate(1 minute)", Actions: []string{Query, BatchGetItem, BatchWriteItem, UpdateItem, PutItem, DeleteItem, InvokeErasure}, Invokes: []string{erasure, webhookDeliver}},

	{Name: "userBlock", Kind: HTTP, Path: "/user/block.json", V4: []string{"/v4/user/ban"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, BatchWriteItem, ManageConnections, Invoke}, Invokes: raises},
	{Name: "userUnblock", Kind: HTTP, Path: "/user/unblock.json", V4: []string{"/v4/user/unban"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, BatchWriteItem, Invoke}, Invokes: raises},
	{Name: "userBlockQuery", Kind: HTTP, Path: "/user/block/query.json", V4: []string{"/v4/user/ban/list"}, RateLimit: defaultRate, Actions: []string{Query, GetItem}},
	{Name: "userCheckOnline", Kind: HTTP, Path: "/user/checkOnline.json", V4: []string{"/v4/user/connection-status/get", "/v4/user/online-status/get"}, RateLimit: defaultRate, Actions: []string{GetItem}},
	{Name: "userCheckOnlineBatch", Kind: HTTP, Path: "/user/checkOnline/batch.json", RateLimit: defaultRate, Actions: []string{BatchGetItem}},
	// The console's user screen: the user's own items in one batched read (our extension).
	{Name: "userSummary", Kind: HTTP, Path: "/user/summary.json", RateLimit: defaultRate, Actions: []string{BatchGetItem}},
	// Direct-chat mute: a blind batch write after the users' batched read; the list reads the
	// sparse index of muted users.
	{Name: "userChatFbSet", Kind: HTTP, Path: "/user/chat/fb/set.json", V4: []string{"/v4/channel-type/mute/set"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, BatchWriteItem}},
	{Name: "userChatFbQuerylist", Kind: HTTP, Path: "/user/chat/fb/querylist.json", V4: []string{"/v4/channel-type/mute/list"}, RateLimit: defaultRate, Actions: []string{Query}},

	// Hosted profiles and tags: what the App Server keeps for its users, under their partitions.
	// A change is announced (user:profile_update) only when the app's settings, read in the
	// change's batch, want it.
	{Name: "userProfileSet", Kind: HTTP, Path: "/user/profile/set.json", V4: []string{"/v4/user/profile/set"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, PutItem, BatchWriteItem, Invoke}, Invokes: raises},
	{Name: "userProfileClean", Kind: HTTP, Path: "/user/profile/clean.json", V4: []string{"/v4/user/profile/delete"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, PutItem, BatchWriteItem, Invoke}, Invokes: raises},
	{Name: "userProfileQuery", Kind: HTTP, Path: "/user/profile/query.json", V4: []string{"/v4/user/profile/list"}, RateLimit: defaultRate, Actions: []string{Query, BatchGetItem}},
	{Name: "userProfileBatchQuery", Kind: HTTP, Path: "/user/profile/batch/query.json", V4: []string{"/v4/user/profile/batch/get"}, RateLimit: defaultRate, Actions: []string{BatchGetItem}},
	{Name: "userTagSet", Kind: HTTP, Path: "/user/tag/set.json", RateLimit: defaultRate, Actions: []string{BatchGetItem, BatchWriteItem}},
	{Name: "userTagBatchSet", Kind: HTTP, Path: "/user/tag/batch/set.json", V4: []string{"/v4/user/tag/batch/set"}, RateLimit: tagBatchRate, Actions: []string{BatchGetItem, BatchWriteItem}},
	{Name: "userTagsGet", Kind: HTTP, Path: "/user/tags/get.json", V4: []string{"/v4/user/tag/batch/get"}, RateLimit: defaultRate, Actions: []string{BatchGetItem}},

	// Relations: a list change reads, reserves its count, writes and confirms (see store).
	{Name: "userBlacklistAdd", Kind: HTTP, Path: "/user/blacklist/add.json", Aliases: []string{"/user/blocklist/add.json"}, V4: []string{"/v4/user/blocklist/add"},
		RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "userBlacklistRemove", Kind: HTTP, Path: "/user/blacklist/remove.json", Aliases: []string{"/user/blocklist/remove.json"}, V4: []string{"/v4/user/blocklist/remove"},
		RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "userBlacklistQuery", Kind: HTTP, Path: "/user/blacklist/query.json", Aliases: []string{"/user/blocklist/query.json"}, V4: []string{"/v4/user/blocklist/get"},
		RateLimit: defaultRate, Actions: []string{Query}},
	{Name: "userWhitelistAdd", Kind: HTTP, Path: "/user/whitelist/add.json", RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "userWhitelistRemove", Kind: HTTP, Path: "/user/whitelist/remove.json", RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "userWhitelistQuery", Kind: HTTP, Path: "/user/whitelist/query.json", RateLimit: defaultRate, Actions: []string{Query}},
	{Name: "userWhitesettingSet", Kind: HTTP, Path: "/user/whitesetting/set.json", RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, GetItem}},
	{Name: "userWhitesettingQuery", Kind: HTTP, Path: "/user/whitesetting/query.json", RateLimit: defaultRate, Actions: []string{BatchGetItem}},
	{Name: "friendAdd", Kind: HTTP, Path: "/friend/add.json", V4: []string{"/v4/friend/add"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "friendDelete", Kind: HTTP, Path: "/friend/delete.json", V4: []string{"/v4/friend/remove", "/v4/friend/delete"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "friendClean", Kind: HTTP, Path: "/friend/clean.json", V4: []string{"/v4/friend/remove-all"}, RateLimit: defaultRate, Actions: []string{Query, BatchGetItem, UpdateItem, BatchWriteItem, InvokeErasure}, Invokes: erases},
	{Name: "friendProfileSet", Kind: HTTP, Path: "/friend/profile/set.json", V4: []string{"/v4/friend/profile/set"}, RateLimit: defaultRate, Actions: []string{UpdateItem, BatchGetItem}},
	{Name: "friendGet", Kind: HTTP, Path: "/friend/get.json", V4: []string{"/v4/friend/list"}, RateLimit: defaultRate, Actions: []string{Query}},
	{Name: "friendCheck", Kind: HTTP, Path: "/friend/check.json", V4: []string{"/v4/friend/relationship/get"}, RateLimit: defaultRate, Actions: []string{BatchGetItem}},
	{Name: "friendPermissionSet", Kind: HTTP, Path: "/friend/permission/set.json", V4: []string{"/v4/friend/permission/set"}, RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, GetItem}},
	{Name: "friendPermissionGet", Kind: HTTP, Path: "/friend/permission/get.json", V4: []string{"/v4/friend/permission/get"}, RateLimit: defaultRate, Actions: []string{BatchGetItem}},
	{Name: "appSettingSet", Kind: HTTP, Path: "/app/setting/set.json", RateLimit: defaultRate, Actions: []string{UpdateItem, GetItem}},
	{Name: "appSettingQuery", Kind: HTTP, Path: "/app/setting/query.json", RateLimit: defaultRate, Actions: []string{GetItem}},
	{Name: "appWebhookReplay", Kind: HTTP, Path: "/app/webhook/replay.json", RateLimit: defaultRate, Actions: []string{Query, BatchWriteItem}},
	// A test event sent at once to the app's receiver, answered with what became of it.
	{Name: "appWebhookTest", Kind: HTTP, Path: "/app/webhook/test.json", RateLimit: defaultRate, Actions: []string{GetItem, UpdateItem}},

	// Direct messages: one batched read of the facts and the recipients' connections, frames
	// to every open connection, and a write only to forget a connection found gone.
	{Name: "messagePrivatePublish", Kind: HTTP, Path: "/message/private/publish.json", RateLimit: defaultRate, Actions: []string{BatchGetItem, UpdateItem, ManageConnections}},

	// API Gateway matches routes on the raw path: a path an SDK sends uncleaned
	// (//user/deactivate/query.json) matches none and comes here, to be forwarded to its
	// operation's function (httpdefault.Fallback).
	{Name: "httpDefault", Kind: Default, RateLimit: defaultRate, Actions: []string{InvokeOperations}},
	// The operator console: its page and files, embedded; the page signs Server API calls in
	// the browser, so the function holds no secret and calls nothing. API Gateway's greedy
	// {proxy+} needs a segment, so the page itself has a route of its own.
	{Name: "console", Kind: Page, Path: "/console", Aliases: []string{"/console/{proxy+}"}, RateLimit: defaultRate},

	// Webhooks: the events a call raised are delivered by webhookDeliver, invoked
	// asynchronously; every minute webhookSchedule makes the attempts that are due and announces
	// the bans that ended and the watched connections that lapsed without a $disconnect.
	{Name: webhookDeliver, Kind: Worker, Signs: true, Actions: []string{GetItem, PutItem, UpdateItem}},
	{Name: "webhookSchedule", Kind: Worker, Signs: true, Schedule: "rate(1 minute)", Actions: []string{Query, GetItem, PutItem, DeleteItem, UpdateItem, BatchGetItem, BatchWriteItem}},

	{Name: "wsAuthorize", Kind: Authorizer, Actions: []string{UpdateItem, GetItem, BatchGetItem, DeleteItem, BatchWriteItem, Invoke}, Invokes: raises},
	{Name: "wsConnect", Kind: WebSocket, RouteKey: "$connect"},
	{Name: "wsDisconnect", Kind: WebSocket, RouteKey: "$disconnect", Actions: []string{UpdateItem, BatchWriteItem, Invoke}, Invokes: raises},
	{Name: "wsPing", Kind: WebSocket, RouteKey: "ping", Actions: []string{UpdateItem}},
	{Name: "wsSendMessage", Kind: WebSocket, RouteKey: "sendMessage", Actions: []string{BatchGetItem, UpdateItem, ManageConnections}},
	// The client's own blocklist: the same rules and cost as /user/blacklist/*.
	{Name: "wsAddToBlocklist", Kind: WebSocket, RouteKey: "addToBlocklist", Signs: true, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "wsRemoveFromBlocklist", Kind: WebSocket, RouteKey: "removeFromBlocklist", Signs: true, Actions: []string{BatchGetItem, UpdateItem, BatchWriteItem}},
	{Name: "wsCheckBlocked", Kind: WebSocket, RouteKey: "checkBlocked", Signs: true, Actions: []string{BatchGetItem}},
	{Name: "wsGetBlocklist", Kind: WebSocket, RouteKey: "getBlocklist", Signs: true, Actions: []string{Query}},
}

// Every Server API function may record its request's nonce (see PutItem).
func init() {
	for i, r := range All {
		if r.Kind == HTTP && !slices.Contains(r.Actions, PutItem) {
			All[i].Actions = append(r.Actions[:len(r.Actions):len(r.Actions)], PutItem)
		}
	}
}

// ByName finds a function by its folder name.
func ByName(name string) (Route, bool) {
	for _, r := range All {
		if r.Name == name {
			return r, true
		}
	}
	return Route{}, false
}

// ByPath finds the Server API function serving a path, exactly as written (its path or an
// alias); only Server API routes have paths.
func ByPath(p string) (Route, bool) {
	for _, r := range All {
		if r.Kind == HTTP && slices.Contains(r.Paths(), p) {
			return r, true
		}
	}
	return Route{}, false
}

// FunctionFor names the Server API function serving a path, exactly as written (ByPath).
func FunctionFor(p string) (function string, ok bool) {
	r, ok := ByPath(p)
	return r.Name, ok
}
