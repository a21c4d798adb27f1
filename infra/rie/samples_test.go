package rie_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"imusers/infra/local/localenv"
	"imusers/infra/rie"
	"imusers/shared/routes"
	"imusers/shared/wire/signature"
)

// The sample events are generated from this table (go test ./infra/rie -run TestSampleEvents
// -update) and checked against it, so each event and what it must answer stay together. They
// are what API Gateway and Lambda send, signed for the published local app with a fixed
// Timestamp: the functions run them with the signature window off.
const (
	sampleTimestamp = "1767225600" // 2026-01-01 00:00:00 UTC, in seconds as the official SDKs send it
	sampleNonce     = "7302916458"
	sampleEpochMS   = 1767225600000
	sampleTime      = "01/Jan/2026:00:00:00 +0000"
	sampleAPI       = "a1b2c3d4e5"
	sampleDomain    = sampleAPI + ".execute-api.us-east-1.amazonaws.com"
	sampleConnID    = "Y2FsbC0xMjM0NTY3ODk="
	// sampleUser (and bob) are registered by userGetToken's success events before any other
	// event runs.
	sampleUser = "alice"
)

// sample is one event of one function and what the function must answer.
type sample struct {
	fn, name string // functions/<fn>/events/<name>.json
	event    any
	check    func(t *testing.T, o outcome)
}

func (s sample) path() string { return "functions/" + s.fn + "/events/" + s.name + ".json" }

func (s sample) success() bool { return s.name == "success" || strings.HasPrefix(s.name, "success-") }

// samples is every sample event. Each function has a "success" event and at least one
// "error-…" event.
var samples = []sample{
	{"userGetToken", "success", httpEvent("userGetToken", form("userId", sampleUser, "name", "Alice", "portraitUri", "https://example.com/alice.png")),
		answers(200, 200, field("userId", sampleUser), nonEmpty("token"))},
	{"userGetToken", "success-bob", httpEvent("userGetToken", form("userId", "bob", "name", "Bob")),
		answers(200, 200, field("userId", "bob"), nonEmpty("token"))},
	{"userGetToken", "error-missing-name", httpEvent("userGetToken", form("userId", sampleUser)),
		answers(400, 1002)},

	{"userTokenExpire", "success", httpEvent("userTokenExpire", form("userId", sampleUser, "time", "1767225600000")),
		answers(200, 200)},
	{"userTokenExpire", "error-unknown-user", httpEvent("userTokenExpire", form("userId", "nobody", "time", "1767225600000")),
		answers(404, 3001)},

	{"userInfo", "success", httpEvent("userInfo", form("userId", sampleUser)),
		answers(200, 200, field("userName", "Alice"), field("userPortrait", "https://example.com/alice.png"), nonEmpty("createTime"))},
	{"userInfo", "error-bad-signature", httpEvent("userInfo", form("userId", sampleUser), signedWith("not-the-secret")),
		answers(401, 1004)},
	{"userInfo", "success-v4", v4Event("userInfo", `{"userId":"`+sampleUser+`"}`),
		answers(200, 0, inResult(field("name", "Alice"), field("avatarUrl", "https://example.com/alice.png"), nonEmpty("createdAt")))},
	{"userInfo", "error-v4-form-body", httpEvent("userInfo", form("userId", sampleUser), atPath("/v4/user/get")),
		answers(415, 1002)},

	{"userRefresh", "success", httpEvent("userRefresh", form("userId", sampleUser, "name", "Alice Liddell")),
		answers(200, 200)},
	{"userRefresh", "error-unknown-user", httpEvent("userRefresh", form("userId", "nobody", "name", "Nobody")),
		answers(404, 3001)},

	{"userDeactivate", "success", httpEvent("userDeactivate", form("userId", sampleUser)),
		answers(200, 200, nonEmpty("operateId"), erasureQueued(true))},
	{"userDeactivate", "error-unknown-user", httpEvent("userDeactivate", form("userId", "nobody")),
		answers(404, 3001, noCalls)},

	{"userDeactivateQuery", "success", httpEvent("userDeactivateQuery", form("pageNo", "1", "pageSize", "50")),
		answers(200, 200, field("users", []any{sampleUser}))},
	{"userDeactivateQuery", "error-page-size", httpEvent("userDeactivateQuery", form("pageSize", "51")),
		answers(400, 1002)},

	{"userReactivate", "success", httpEvent("userReactivate", form("userId", sampleUser)),
		answers(200, 200, nonEmpty("operateId"), eventsQueued("user:activation_state"))},
	{"userReactivate", "error-unknown-app-key", httpEvent("userReactivate", form("userId", sampleUser), appKey("no-such-app")),
		answers(401, 1001)},

	{"userQuery", "success", httpEvent("userQuery", form("page", "1", "pageSize", "20", "order", "0")),
		answers(200, 200, field("total", 2.0), listed("users", "userId", sampleUser, "bob"))},
	{"userQuery", "error-page-size", httpEvent("userQuery", form("pageSize", "101")),
		answers(400, 1002)},

	{"userDelusers", "success", httpEvent("userDelusers", form("userId", sampleUser)),
		answers(200, 200, erasureQueued(false))},
	{"userDelusers", "error-unknown-user", httpEvent("userDelusers", form("userId", "nobody")),
		answers(404, 3001, noCalls)},

	{"userBlock", "success", httpEvent("userBlock", form("userId", sampleUser, "minute", "60")),
		answers(200, 200, eventsQueued("user:banned"))},
	{"userBlock", "error-minute", httpEvent("userBlock", form("userId", sampleUser, "minute", "0")),
		answers(400, 1002)},

	{"userUnblock", "success", httpEvent("userUnblock", form("userId", sampleUser)),
		answers(200, 200, eventsQueued("user:unbanned"))},
	{"userUnblock", "error-missing-user", httpEvent("userUnblock", form()),
		answers(400, 1002)},

	{"userBlockQuery", "success", httpEvent("userBlockQuery", form("page", "1", "size", "50")),
		answers(200, 200, listed("users", "userId", sampleUser))},
	{"userBlockQuery", "error-page", httpEvent("userBlockQuery", form("page", "0")),
		answers(400, 1002)},

	{"userChatFbSet", "success", httpEvent("userChatFbSet", form("userId", "bob", "state", "1", "type", "PERSON")),
		answers(200, 200)},
	{"userChatFbSet", "error-type", httpEvent("userChatFbSet", form("userId", sampleUser, "state", "1", "type", "GROUP")),
		answers(400, 1002)},

	{"userChatFbQuerylist", "success", httpEvent("userChatFbQuerylist", form("num", "100", "offset", "0", "type", "PERSON")),
		answers(200, 200, field("total", float64(1)), field("users", []any{"bob"}))},
	{"userChatFbQuerylist", "error-missing-type", httpEvent("userChatFbQuerylist", form("num", "100")),
		answers(400, 1002)},

	{"userCheckOnline", "success", httpEvent("userCheckOnline", form("userId", sampleUser)),
		answers(200, 200, field("status", "0"))},
	{"userCheckOnline", "error-malformed-user", httpEvent("userCheckOnline", form("userId", "alice smith")),
		answers(400, 1002)},

	{"userCheckOnlineBatch", "success", httpEvent("userCheckOnlineBatch", form("userId", sampleUser+",bob")),
		answers(200, 200, listed("users", "userId", sampleUser, "bob"))},
	{"userCheckOnlineBatch", "error-missing-user", httpEvent("userCheckOnlineBatch", form()),
		answers(400, 1002)},

	{"userSummary", "success", httpEvent("userSummary", form("userId", sampleUser)),
		answers(200, 200, field("userId", sampleUser), field("online", false))},
	{"userSummary", "error-unknown-user", httpEvent("userSummary", form("userId", "nobody")),
		answers(404, 3001)},

	{"userProfileSet", "success", httpEvent("userProfileSet", form("userId", sampleUser, "userProfile", `{"name":"Alice","level":2}`, "userExtProfile", `{"ext_city":"bj"}`)),
		answers(200, 200)},
	{"userProfileSet", "error-unknown-key", httpEvent("userProfileSet", form("userId", sampleUser, "userProfile", `{"nickname":"Al"}`)),
		answers(400, 1002, field("profileKey", "nickname"))},

	{"userProfileQuery", "success", httpEvent("userProfileQuery", form("page", "1", "size", "20")),
		answers(200, 200, listed("userList", "userId", sampleUser))},
	{"userProfileQuery", "error-past-reach", httpEvent("userProfileQuery", form("page", "101", "size", "100")),
		answers(400, 1005)},

	{"userProfileBatchQuery", "success", httpEvent("userProfileBatchQuery", form("userId", sampleUser+",bob")),
		answers(200, 200, listed("userList", "userId", sampleUser))},
	{"userProfileBatchQuery", "error-missing-user", httpEvent("userProfileBatchQuery", form()),
		answers(400, 1002)},

	{"userProfileClean", "success", httpEvent("userProfileClean", form("userId", sampleUser)),
		answers(200, 200)},
	{"userProfileClean", "error-unknown-user", httpEvent("userProfileClean", form("userId", "nobody")),
		answers(404, 3001)},

	{"userTagSet", "success", httpEvent("userTagSet", `{"userId":"alice","tags":["bj","male"]}`, asJSON),
		answers(200, 200)},
	{"userTagSet", "error-bad-tag", httpEvent("userTagSet", `{"userId":"alice","tags":["b j"]}`, asJSON),
		answers(400, 1002)},

	{"userTagBatchSet", "success", httpEvent("userTagBatchSet", `{"userIds":["alice","bob"],"tags":["vip"]}`, asJSON),
		answers(200, 200)},
	{"userTagBatchSet", "error-unknown-user", httpEvent("userTagBatchSet", `{"userIds":["alice","nobody"],"tags":[]}`, asJSON),
		answers(404, 3001)},

	{"userTagsGet", "success", httpEvent("userTagsGet", form("userIds", sampleUser, "userIds", "nobody")),
		answers(200, 200, field("result", map[string]any{sampleUser: []any{"vip"}, "nobody": []any{}}))},
	{"userTagsGet", "error-malformed-user", httpEvent("userTagsGet", form("userIds", "alice smith")),
		answers(400, 1002)},

	{"userBlacklistAdd", "success", httpEvent("userBlacklistAdd", form("userId", sampleUser, "blackUserId", "bob")),
		answers(200, 200)},
	{"userBlacklistAdd", "error-unknown-user", httpEvent("userBlacklistAdd", form("userId", "nobody", "blackUserId", "bob")),
		answers(404, 3001)},

	{"userBlacklistRemove", "success", httpEvent("userBlacklistRemove", form("userId", sampleUser, "blackUserId", "bob")),
		answers(200, 200)},
	{"userBlacklistRemove", "error-missing-black-user", httpEvent("userBlacklistRemove", form("userId", sampleUser)),
		answers(400, 1002)},

	{"userBlacklistQuery", "success", httpEvent("userBlacklistQuery", form("userId", sampleUser)),
		answers(200, 200, field("users", []any{"bob"}))},
	{"userBlacklistQuery", "error-size", httpEvent("userBlacklistQuery", form("userId", sampleUser, "size", "1001")),
		answers(400, 1002)},

	// The client's own blocklist: alice's, which holds bob for all but addToBlocklist (Setup).
	{"wsAddToBlocklist", "success", wsEvent("addToBlocklist", "MESSAGE", `{"action":"addToBlocklist","userId":"carol","requestId":"r-1"}`, true),
		wsAnswers(200, `{"type":"result","action":"addToBlocklist","requestId":"r-1","code":200}`)},
	{"wsAddToBlocklist", "error-self", wsEvent("addToBlocklist", "MESSAGE", `{"action":"addToBlocklist","userId":"alice","requestId":"r-2"}`, true),
		wsAnswers(200, `{"type":"result","action":"addToBlocklist","requestId":"r-2","code":1002,"errorMessage":"userId is malformed: must not be the connection's own user"}`)},
	{"wsCheckBlocked", "success", wsEvent("checkBlocked", "MESSAGE", `{"action":"checkBlocked","userId":"bob","requestId":"r-3"}`, true),
		wsAnswers(200, `{"type":"result","action":"checkBlocked","requestId":"r-3","code":200,"blocked":true}`)},
	{"wsCheckBlocked", "error-missing-user", wsEvent("checkBlocked", "MESSAGE", `{"action":"checkBlocked","requestId":"r-4"}`, true),
		wsAnswers(200, `{"type":"result","action":"checkBlocked","requestId":"r-4","code":1002,"errorMessage":"userId is required"}`)},
	{"wsGetBlocklist", "success", wsEvent("getBlocklist", "MESSAGE", `{"action":"getBlocklist","requestId":"r-5","size":10}`, true),
		wsAnswers(200, `{"type":"result","action":"getBlocklist","requestId":"r-5","code":200,"userIds":["bob"]}`)},
	{"wsGetBlocklist", "error-size", wsEvent("getBlocklist", "MESSAGE", `{"action":"getBlocklist","requestId":"r-6","size":0}`, true),
		wsAnswers(200, `{"type":"result","action":"getBlocklist","requestId":"r-6","code":1002,"errorMessage":"size is malformed: must be a whole number between 1 and 400"}`)},
	{"wsRemoveFromBlocklist", "success", wsEvent("removeFromBlocklist", "MESSAGE", `{"action":"removeFromBlocklist","userId":"bob","requestId":"r-7"}`, true),
		wsAnswers(200, `{"type":"result","action":"removeFromBlocklist","requestId":"r-7","code":200}`)},
	{"wsRemoveFromBlocklist", "error-no-identity", wsEvent("removeFromBlocklist", "MESSAGE", `{"action":"removeFromBlocklist","userId":"carol"}`, false),
		wsAnswers(401, "")},

	{"userWhitelistAdd", "success", httpEvent("userWhitelistAdd", form("userId", sampleUser, "whiteUserId", "bob")),
		answers(200, 200)},
	{"userWhitelistAdd", "error-self", httpEvent("userWhitelistAdd", form("userId", sampleUser, "whiteUserId", sampleUser)),
		answers(400, 1002)},

	{"userWhitelistRemove", "success", httpEvent("userWhitelistRemove", form("userId", sampleUser, "whiteUserId", "bob")),
		answers(200, 200)},
	{"userWhitelistRemove", "error-unknown-user", httpEvent("userWhitelistRemove", form("userId", "nobody", "whiteUserId", "bob")),
		answers(404, 3001)},

	{"userWhitelistQuery", "success", httpEvent("userWhitelistQuery", form("userId", sampleUser, "size", "100")),
		answers(200, 200, field("users", []any{"bob"}))},
	{"userWhitelistQuery", "error-page-token", httpEvent("userWhitelistQuery", form("userId", sampleUser, "pageToken", "not-a-page-token")),
		answers(400, 1002)},

	{"userWhitesettingSet", "success", httpEvent("userWhitesettingSet", form("userId", sampleUser, "whiteSetting", "1")),
		answers(200, 200)},
	{"userWhitesettingSet", "error-setting", httpEvent("userWhitesettingSet", form("userId", sampleUser, "whiteSetting", "2")),
		answers(400, 1002)},

	{"userWhitesettingQuery", "success", httpEvent("userWhitesettingQuery", form("userId", sampleUser)),
		answers(200, 200, field("users", []any{map[string]any{"userId": sampleUser, "whiteSetting": "1"}}))},
	{"userWhitesettingQuery", "error-missing-user", httpEvent("userWhitesettingQuery", form()),
		answers(400, 1002)},

	{"friendAdd", "success", httpEvent("friendAdd", form("userId", sampleUser, "targetId", "bob", "optType", "2", "extra", "Hi Bob")),
		answers(200, 200)},
	{"friendAdd", "error-self", httpEvent("friendAdd", form("userId", sampleUser, "targetId", sampleUser, "optType", "2")),
		answers(400, 1002)},

	{"friendDelete", "success", httpEvent("friendDelete", form("userId", sampleUser, "targetIds", "bob")),
		answers(200, 200)},
	{"friendDelete", "error-unknown-user", httpEvent("friendDelete", form("userId", "nobody", "targetIds", "bob")),
		answers(404, 3001)},

	{"friendClean", "success", httpEvent("friendClean", form("userId", sampleUser)),
		answers(200, 200)},
	{"friendClean", "error-unknown-user", httpEvent("friendClean", form("userId", "nobody")),
		answers(404, 3001)},

	{"friendProfileSet", "success", httpEvent("friendProfileSet", form("userId", sampleUser, "targetId", "bob", "remarkName", "Bobby", "friendExtProfile", `{"city":"Paris"}`)),
		answers(200, 200)},
	{"friendProfileSet", "error-not-friends", httpEvent("friendProfileSet", form("userId", sampleUser, "targetId", "carol", "remarkName", "Carol")),
		answers(403, 3008)},

	{"friendGet", "success", httpEvent("friendGet", form("userId", sampleUser, "size", "50", "order", "0")),
		answers(200, 200, field("totalCount", 1.0), listed("friendList", "userId", "bob"))},
	{"friendGet", "error-size", httpEvent("friendGet", form("userId", sampleUser, "size", "101")),
		answers(400, 1002)},

	{"friendCheck", "success", httpEvent("friendCheck", form("userId", sampleUser, "targetIds", "bob,carol")),
		answers(200, 200, field("results", []any{
			map[string]any{"userId": "bob", "result": 4.0}, map[string]any{"userId": "carol", "result": 1.0}}))},
	{"friendCheck", "error-missing-targets", httpEvent("friendCheck", form("userId", sampleUser)),
		answers(400, 1002)},

	{"friendPermissionSet", "success", httpEvent("friendPermissionSet", form("userIds", sampleUser, "permissionType", "2")),
		answers(200, 200)},
	{"friendPermissionSet", "error-permission-type", httpEvent("friendPermissionSet", form("userIds", sampleUser, "permissionType", "4")),
		answers(400, 1002)},

	{"friendPermissionGet", "success", httpEvent("friendPermissionGet", form("userIds", sampleUser)),
		answers(200, 200, field("permissionSettings", []any{map[string]any{"userId": sampleUser, "type": 2.0}}))},
	{"friendPermissionGet", "error-missing-users", httpEvent("friendPermissionGet", form()),
		answers(400, 1002)},

	// The webhook URL is for appWebhookTest's sample: a name that resolves to loopback, which a
	// delivery outside the local stack refuses.
	{"appSettingSet", "success", httpEvent("appSettingSet", form("friendsOnlyDirectMessages", "1", "webhookUrl", "http://localhost:9/hooks")),
		answers(200, 200)},
	{"appSettingSet", "error-value", httpEvent("appSettingSet", form("friendsOnlyDirectMessages", "2")),
		answers(400, 1002)},

	{"appSettingQuery", "success", httpEvent("appSettingQuery", form()),
		answers(200, 200, field("friendsOnlyDirectMessages", 1.0))},
	{"appSettingQuery", "error-bad-signature", httpEvent("appSettingQuery", form(), signedWith("not-the-secret")),
		answers(401, 1004)},

	{"appWebhookReplay", "success", httpEvent("appWebhookReplay", form()),
		answers(200, 200, field("replayed", 0.0))},
	{"appWebhookReplay", "error-bad-signature", httpEvent("appWebhookReplay", form(), signedWith("not-the-secret")),
		answers(401, 1004)},

	{"appWebhookTest", "success", httpEvent("appWebhookTest", form()),
		answers(200, 200, field("delivered", false), field("httpStatus", 0.0), field("error", "the address is private, loopback or link-local"))},
	{"appWebhookTest", "error-bad-signature", httpEvent("appWebhookTest", form(), signedWith("not-the-secret")),
		answers(401, 1004)},

	{"eraseUsers", "success", json.RawMessage(`{"app":"` + localenv.AppKey + `","users":["` + sampleUser + `"],"operateId":"5f1c2a9e0b7d4c3e8a6f1b2d"}`),
		workerSucceeds},
	{"eraseUsers", "scheduled", json.RawMessage(`{"version":"0","id":"7c2e4a1b-3d5f-4e6a-8b9c-0d1e2f3a4b5c","detail-type":"Scheduled Event",` +
		`"source":"aws.events","account":"123456789012","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{}}`),
		workerSucceeds},
	{"eraseUsers", "error-malformed-job", json.RawMessage(`{"app":"` + localenv.AppKey + `","users":"` + sampleUser + `"}`),
		functionFails("")},

	{"webhookDeliver", "success", json.RawMessage(`{"app":"` + localenv.AppKey + `","events":[{"id":"0f6c1e2d3b4a59687766554433221100","type":"user:banned",` +
		`"time":1767225600000,"data":{"userId":"` + sampleUser + `","minute":60,"endTime":1767229200000,"time":1767225600000}}]}`),
		workerSucceeds},
	{"webhookDeliver", "error-unknown-app", json.RawMessage(`{"app":"no-such-app","events":[]}`),
		functionFails(`webhook events of an app not served: "no-such-app"`)},

	{"webhookSchedule", "success", json.RawMessage(`{"version":"0","id":"5b3a1c2e-9f8d-4e7a-b6c5-d4e3f2a1b0c9","detail-type":"Scheduled Event",` +
		`"source":"aws.events","account":"123456789012","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":{}}`),
		workerSucceeds},
	{"webhookSchedule", "error-not-scheduled", json.RawMessage(`{"source":"aws.lambda"}`),
		functionFails(`not a scheduled event: source "aws.lambda", detail-type ""`)},

	// The path one official SDK sends goes to its operation's function, whose answer (here the
	// AWS stand-in's) comes back unchanged; a path of no operation is a 404 that invokes nothing.
	{"httpDefault", "success", defaultEvent("//user/deactivate/query.json", form("pageNo", "1", "pageSize", "50")),
		forwards("userDeactivateQuery", "/user/deactivate/query.json")},
	{"httpDefault", "error-unknown-path", defaultEvent("//user/nothing.json", form("userId", sampleUser)),
		answers(404, 1002, field("errorMessage", "no operation at /user/nothing.json"), noCalls)},

	// The console's files: the page at its own route, an unknown file under the greedy one.
	{"console", "success", pageEvent("/console/", "GET /console/", ""),
		servesFile(200, "text/html; charset=utf-8")},
	{"console", "error-unknown-file", pageEvent("/console/nothing.js", "GET /console/{proxy+}", "nothing.js"),
		servesFile(404, "text/plain; charset=utf-8")},

	{"wsAuthorize", "success", authorizerEvent(rie.TokenPlaceholder),
		authorizes("Allow")},
	{"wsAuthorize", "error-bad-token", authorizerEvent("not-a-token"),
		functionFails("Unauthorized")},

	{"wsConnect", "success", wsEvent("$connect", "CONNECT", "", true),
		wsAnswers(200, "")},
	{"wsConnect", "error-no-identity", wsEvent("$connect", "CONNECT", "", false),
		wsAnswers(401, "")},

	{"wsDisconnect", "success", wsEvent("$disconnect", "DISCONNECT", "", true),
		wsAnswers(200, "")},
	{"wsDisconnect", "error-no-identity", wsEvent("$disconnect", "DISCONNECT", "", false),
		wsAnswers(401, "")},

	{"wsPing", "success", wsEvent("ping", "MESSAGE", `{"action":"ping"}`, true),
		wsAnswers(200, `{"type":"pong"}`)},
	{"wsPing", "error-no-identity", wsEvent("ping", "MESSAGE", `{"action":"ping"}`, false),
		wsAnswers(401, "")},

	{"messagePrivatePublish", "success", httpEvent("messagePrivatePublish", form("fromUserId", sampleUser, "toUserId", "bob,nobody",
		"objectName", "RC:TxtMsg", "content", `{"content":"Hello Bob"}`)),
		answers(200, 200, listed("messageUIDs", "userId", "bob"), field("rejected", []any{map[string]any{"userId": "nobody", "code": 3001.0}}), noCalls)},
	{"messagePrivatePublish", "error-content", httpEvent("messagePrivatePublish", form("fromUserId", sampleUser, "toUserId", "bob",
		"objectName", "RC:TxtMsg", "content", "Hello Bob")),
		answers(400, 1002, noCalls)},

	{"wsSendMessage", "success", wsEvent("sendMessage", "MESSAGE", `{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":"{\"content\":\"Hi Bob\"}","clientMsgId":"c-1"}`, true),
		acks(200, "c-1")},
	{"wsSendMessage", "error-unknown-recipient", wsEvent("sendMessage", "MESSAGE", `{"action":"sendMessage","toUserId":"nobody","objectName":"RC:TxtMsg","content":"{}","clientMsgId":"c-2"}`, true),
		acks(3001, "c-2")},
	{"wsSendMessage", "error-bad-frame", wsEvent("sendMessage", "MESSAGE", `{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":{"content":"Hi"},"clientMsgId":"c-3"}`, true),
		acks(1002, "c-3")},
	{"wsSendMessage", "error-no-identity", wsEvent("sendMessage", "MESSAGE", `{"action":"sendMessage","toUserId":"bob","objectName":"RC:TxtMsg","content":"{}"}`, false),
		wsAnswers(401, "")},
}

// form builds a form body from name, value pairs in the order given.
func form(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, url.QueryEscape(pairs[i])+"="+url.QueryEscape(pairs[i+1]))
	}
	return strings.Join(parts, "&")
}

// signing is how a sample call is sent: its App-Key and secret, and where its path and
// content type differ from a v1 call's.
type signing struct{ key, secret, path, contentType string }

// signedWith signs with another secret than the app's.
func signedWith(secret string) func(*signing) { return func(s *signing) { s.secret = secret } }

// asJSON sends the body as application/json, as the official SDKs send tag calls.
func asJSON(s *signing) { s.contentType = "application/json" }

// appKey sends another App-Key.
func appKey(key string) func(*signing) { return func(s *signing) { s.key = key } }

// httpEvent is the payload-2.0 event API Gateway's HTTP API sends for a signed Server API
// call: headers lowercased, a form body base64-encoded (API Gateway treats it as binary).
func httpEvent(fn, body string, opts ...func(*signing)) any {
	// A function missing from the route table gets no path; TestSampleEvents reports it.
	r, _ := routes.ByName(fn)
	s := signing{path: r.Path}
	for _, o := range opts {
		o(&s)
	}
	return apiEvent(fn, "POST "+s.path, s.path, body, opts...)
}

// v4Event is the event of a signed v4 call (a JSON body) to the function's v4 path.
func v4Event(fn, body string) any {
	r, _ := routes.ByName(fn)
	return httpEvent(fn, body, atPath(r.V4[0]), asJSON)
}

// atPath sends the call to another path of the function than its v1 path.
func atPath(p string) func(*signing) { return func(s *signing) { s.path = p } }

// defaultEvent is the event of a signed call to a path that no route matches, which API
// Gateway sends to the $default route with the path as the client wrote it.
func defaultEvent(rawPath, body string) any {
	return apiEvent("httpDefault", "$default", rawPath, body)
}

func apiEvent(fn, routeKey, path, body string, opts ...func(*signing)) any {
	s := signing{key: localenv.AppKey, secret: localenv.AppSecret, contentType: "application/x-www-form-urlencoded; charset=UTF-8"}
	for _, o := range opts {
		o(&s)
	}
	requestID := "sample-" + fn
	headers := map[string]string{
		"accept-encoding":   "gzip",
		"app-key":           s.key,
		"content-length":    itoa(len(body)),
		"content-type":      s.contentType,
		"host":              sampleDomain,
		"nonce":             sampleNonce,
		"signature":         signature.Sign(s.secret, sampleNonce, sampleTimestamp),
		"timestamp":         sampleTimestamp,
		"user-agent":        "app-server/1.0",
		"x-amzn-trace-id":   "Root=1-6955b800-0123456789abcdef01234567",
		"x-forwarded-for":   "203.0.113.7",
		"x-forwarded-port":  "443",
		"x-forwarded-proto": "https",
		"x-request-id":      requestID,
	}
	ev := map[string]any{
		"version":        "2.0",
		"routeKey":       routeKey,
		"rawPath":        path,
		"rawQueryString": "",
		"headers":        headers,
		"requestContext": map[string]any{
			"accountId":    "123456789012",
			"apiId":        sampleAPI,
			"domainName":   sampleDomain,
			"domainPrefix": sampleAPI,
			"http": map[string]any{
				"method": "POST", "path": path, "protocol": "HTTP/1.1",
				"sourceIp": "203.0.113.7", "userAgent": "app-server/1.0",
			},
			"requestId": requestID,
			"routeKey":  routeKey,
			"stage":     "$default",
			"time":      sampleTime,
			"timeEpoch": sampleEpochMS,
		},
		"isBase64Encoded": true,
	}
	if body != "" {
		ev["body"] = base64.StdEncoding.EncodeToString([]byte(body))
	} else {
		ev["isBase64Encoded"] = false
	}
	return ev
}

// pageEvent is the event of a browser's GET of a console route, unsigned as a browser sends it.
func pageEvent(path, routeKey, proxy string) any {
	ev := map[string]any{
		"version":        "2.0",
		"routeKey":       routeKey,
		"rawPath":        path,
		"rawQueryString": "",
		"headers": map[string]string{
			"accept":            "text/html,*/*",
			"accept-encoding":   "gzip",
			"host":              sampleDomain,
			"user-agent":        "Mozilla/5.0",
			"x-forwarded-for":   "203.0.113.7",
			"x-forwarded-port":  "443",
			"x-forwarded-proto": "https",
		},
		"requestContext": map[string]any{
			"accountId":    "123456789012",
			"apiId":        sampleAPI,
			"domainName":   sampleDomain,
			"domainPrefix": sampleAPI,
			"http": map[string]any{
				"method": "GET", "path": path, "protocol": "HTTP/1.1",
				"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0",
			},
			"requestId": "sample-console",
			"routeKey":  routeKey,
			"stage":     "$default",
			"time":      sampleTime,
			"timeEpoch": sampleEpochMS,
		},
		"isBase64Encoded": false,
	}
	if proxy != "" {
		ev["pathParameters"] = map[string]string{"proxy": proxy}
	}
	return ev
}

func wsRequestContext(routeKey, eventType string) map[string]any {
	return map[string]any{
		"apiId":             sampleAPI,
		"connectedAt":       sampleEpochMS,
		"connectionId":      sampleConnID,
		"domainName":        sampleDomain,
		"eventType":         eventType,
		"extendedRequestId": "sample-" + eventType,
		"identity":          map[string]any{"sourceIp": "203.0.113.8", "userAgent": "im-client/1.0"},
		"messageDirection":  "IN",
		"requestId":         "sample-" + eventType,
		"requestTime":       sampleTime,
		"requestTimeEpoch":  sampleEpochMS,
		"routeKey":          routeKey,
		"stage":             "production",
	}
}

// authorizerEvent is the REQUEST authorizer event of a WebSocket $connect carrying a token.
func authorizerEvent(token string) any {
	return map[string]any{
		"type":      "REQUEST",
		"methodArn": "arn:aws:execute-api:us-east-1:123456789012:" + sampleAPI + "/production/$connect",
		"headers": map[string]string{
			"Host": sampleDomain, "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
			"X-Forwarded-For": "203.0.113.8", "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https",
		},
		"queryStringParameters":           map[string]string{"token": token},
		"multiValueQueryStringParameters": map[string][]string{"token": {token}},
		"stageVariables":                  map[string]string{},
		"requestContext":                  wsRequestContext("$connect", "CONNECT"),
	}
}

// wsEvent is a WebSocket API event; admitted connections carry what the authorizer attached.
func wsEvent(routeKey, eventType, body string, admitted bool) any {
	rc := wsRequestContext(routeKey, eventType)
	if admitted {
		rc["authorizer"] = map[string]any{"app": localenv.AppKey, "user": sampleUser, "principalId": sampleUser, "integrationLatency": 12}
	}
	switch eventType {
	case "MESSAGE":
		rc["messageId"] = "c2FtcGxlLW1lc3NhZ2U="
	case "DISCONNECT":
		rc["disconnectStatusCode"] = 1001
		rc["disconnectReason"] = "Going away"
	}
	ev := map[string]any{"requestContext": rc, "isBase64Encoded": false}
	if eventType == "CONNECT" {
		ev["headers"] = map[string]string{"Host": sampleDomain, "Sec-WebSocket-Version": "13"}
		ev["queryStringParameters"] = map[string]string{"token": rie.TokenPlaceholder}
	}
	if body != "" {
		ev["body"] = body
	}
	return ev
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
