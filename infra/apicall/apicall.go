// Package apicall is test-only code: one well-formed call of every Server API route, naming
// the caller's users, so that fault, abuse and isolation tests run against every route. A route
// added to shared/routes without a line here fails TestEveryRouteHasACall, which is how those
// tests keep up with new operations: covering one is one entry in All.
package apicall

import (
	"fmt"
	"net/url"
	"time"

	"imusers/shared/routes"
)

// Users names two registered, active users of the calling app.
type Users struct{ A, B string }

// Call is one well-formed request of a route.
type Call struct {
	Route string // the function's name in routes.All
	Form  func(u Users) url.Values
	// Dev marks calls that only development apps may make (1007 elsewhere).
	Dev bool
	// Writes marks calls that change stored state when they succeed.
	Writes bool
	// V4 is the same call's v4 JSON body, for a route with v4 paths.
	V4 func(u Users) map[string]any
	// Settings are app settings the call needs, to be set with /app/setting/set.json before
	// it; they stay set, so such calls come last.
	Settings url.Values
}

type body = map[string]any

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// All is every route's call. Entries whose route is not (yet) in routes.All are skipped by
// Available, so calls for an operation can be written before it lands.
var All = []Call{
	{Route: "userGetToken", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "name", "Name of "+u.A) }, V4: func(u Users) body { return body{"userId": u.A, "name": "Name of " + u.A} }},
	{Route: "userTokenExpire", Writes: true, Form: func(u Users) url.Values {
		return form("userId", u.A, "time", fmt.Sprint(time.Now().Add(-time.Hour).UnixMilli()))
	}, V4: func(u Users) body {
		return body{"userIds": []string{u.A}, "expiresAt": time.Now().Add(-time.Hour).UnixMilli()}
	}},
	{Route: "userInfo", Form: func(u Users) url.Values { return form("userId", u.A) }, V4: func(u Users) body { return body{"userId": u.A} }},
	{Route: "userRefresh", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "name", "Renamed "+u.A) }, V4: func(u Users) body { return body{"userId": u.A, "name": "Renamed " + u.A} }},
	{Route: "userDeactivate", Writes: true, Form: func(u Users) url.Values { return form("userId", u.B) }, V4: func(u Users) body { return body{"userIds": []string{u.B}} }},
	{Route: "userDeactivateQuery", Form: func(Users) url.Values { return form() }, V4: func(Users) body { return body{} }},
	{Route: "userReactivate", Writes: true, Form: func(u Users) url.Values { return form("userId", u.B) }, V4: func(u Users) body { return body{"userIds": []string{u.B}} }},
	{Route: "userQuery", Dev: true, Form: func(Users) url.Values { return form("pageSize", "100") }},
	{Route: "userDelusers", Dev: true, Writes: true, Form: func(u Users) url.Values { return form("userId", u.B) }},
	{Route: "userBlock", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "minute", "10") }, V4: func(u Users) body { return body{"userIds": []string{u.A}, "durationMinutes": 10} }},
	{Route: "userUnblock", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A) }, V4: func(u Users) body { return body{"userIds": []string{u.A}} }},
	{Route: "userBlockQuery", Form: func(Users) url.Values { return form() }, V4: func(Users) body { return body{} }},
	{Route: "userCheckOnline", Form: func(u Users) url.Values { return form("userId", u.A) }, V4: func(u Users) body { return body{"userId": u.A} }},
	{Route: "userCheckOnlineBatch", Form: func(u Users) url.Values { return form("userId", u.A+","+u.B) }},
	{Route: "userSummary", Form: func(u Users) url.Values { return form("userId", u.A) }},
	{Route: "userChatFbSet", Writes: true, Form: func(u Users) url.Values { return form("userId", u.B, "state", "1", "type", "PERSON") }, V4: func(u Users) body {
		return body{"userIds": []string{u.B}, "muteState": 1, "channelTypes": []any{"PERSON"}}
	}},
	{Route: "userChatFbQuerylist", Form: func(Users) url.Values { return form("type", "PERSON") }, V4: func(Users) body { return body{"channelType": "PERSON"} }},

	// Hosted profiles and tags; the tag set calls take a form body as well as JSON.
	{Route: "userProfileSet", Writes: true, Form: func(u Users) url.Values {
		return form("userId", u.A, "userProfile", `{"name":"Nick","level":2}`, "userExtProfile", `{"ext_city":"bj"}`)
	}, V4: func(u Users) body {
		return body{"userId": u.A, "userProfile": body{"name": "Nick", "level": 2}, "userExtProfile": body{"ext_city": "bj"}}
	}},
	{Route: "userProfileQuery", Form: func(Users) url.Values { return form("page", "1", "size", "20") }, V4: func(Users) body { return body{"page": 1, "pageSize": 20} }},
	{Route: "userProfileBatchQuery", Form: func(u Users) url.Values { return form("userId", u.A+","+u.B) }, V4: func(u Users) body { return body{"userIds": []string{u.A, u.B}} }},
	{Route: "userProfileClean", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A) }, V4: func(u Users) body { return body{"userIds": []string{u.A}} }},
	{Route: "userTagSet", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "tags", "vip") }},
	{Route: "userTagBatchSet", Writes: true, Form: func(u Users) url.Values { return form("userIds", u.A+","+u.B, "tags", "bj,male") }, V4: func(u Users) body {
		return body{"userIds": []string{u.A, u.B}, "tags": []string{"bj", "male"}}
	}},
	{Route: "userTagsGet", Form: func(u Users) url.Values { return form("userIds", u.A, "userIds", u.B) }, V4: func(u Users) body { return body{"userIds": []string{u.A, u.B}} }},

	// Relations, in an order where each call finds what it needs: the friendship is made before
	// the calls that need one and ended after them.
	{Route: "userBlacklistAdd", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "blackUserId", u.B) }, V4: func(u Users) body { return body{"userId": u.A, "targetUserIds": []string{u.B}} }},
	{Route: "userBlacklistQuery", Form: func(u Users) url.Values { return form("userId", u.A, "size", "10") }, V4: func(u Users) body { return body{"userId": u.A, "pageSize": 10} }},
	{Route: "userBlacklistRemove", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "blackUserId", u.B) }, V4: func(u Users) body { return body{"userId": u.A, "blockedUserIds": []string{u.B}} }},
	{Route: "userWhitelistAdd", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "whiteUserId", u.B) }},
	{Route: "userWhitelistQuery", Form: func(u Users) url.Values { return form("userId", u.A, "size", "10") }},
	{Route: "userWhitelistRemove", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "whiteUserId", u.B) }},
	{Route: "userWhitesettingSet", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "whiteSetting", "0") }},
	{Route: "userWhitesettingQuery", Form: func(u Users) url.Values { return form("userId", u.A+","+u.B) }},
	{Route: "friendAdd", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "targetId", u.B, "optType", "2") }, V4: func(u Users) body { return body{"userId": u.A, "targetId": u.B, "action": 2} }},
	{Route: "friendProfileSet", Writes: true, Form: func(u Users) url.Values {
		return form("userId", u.A, "targetId", u.B, "remarkName", "Friend "+u.B, "friendExtProfile", `{"team":"blue"}`)
	}, V4: func(u Users) body {
		return body{"userId": u.A, "targetId": u.B, "alias": "Friend " + u.B, "friendExtProfile": map[string]string{"team": "blue"}}
	}},
	{Route: "friendGet", Form: func(u Users) url.Values { return form("userId", u.A, "size", "10", "order", "1") }, V4: func(u Users) body { return body{"userId": u.A, "pageSize": 10, "order": 1} }},
	{Route: "friendCheck", Form: func(u Users) url.Values { return form("userId", u.A, "targetIds", u.B) }, V4: func(u Users) body { return body{"userId": u.A, "targetIds": []string{u.B}} }},
	{Route: "friendPermissionSet", Writes: true, Form: func(u Users) url.Values { return form("userIds", u.A, "permissionType", "1") }, V4: func(u Users) body { return body{"userIds": []string{u.A}, "permissionType": 1} }},
	{Route: "friendPermissionGet", Form: func(u Users) url.Values { return form("userIds", u.A+","+u.B) }, V4: func(u Users) body { return body{"userIds": []string{u.A, u.B}} }},
	{Route: "friendDelete", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A, "targetIds", u.B) }, V4: func(u Users) body { return body{"userId": u.A, "targetIds": []string{u.B}} }},
	{Route: "friendClean", Writes: true, Form: func(u Users) url.Values { return form("userId", u.A) }, V4: func(u Users) body { return body{"userId": u.A} }},
	{Route: "appSettingSet", Writes: true, Form: func(Users) url.Values { return form("friendsOnlyDirectMessages", "0") }},
	{Route: "appSettingQuery", Form: func(Users) url.Values { return form() }},
	{Route: "appWebhookReplay", Writes: true, Form: func(Users) url.Values { return form() }},

	{Route: "messagePrivatePublish", Form: func(u Users) url.Values {
		return form("fromUserId", u.A, "toUserId", u.B, "objectName", "RC:TxtMsg", "content", `{"content":"hello"}`)
	}},
	// Nothing listens on the discard port: the test event is answered as not delivered.
	{Route: "appWebhookTest", Settings: form("webhookUrl", "http://127.0.0.1:9/hooks"), Form: func(Users) url.Values { return form() }},
}

// Path is the route's path.
func (c Call) Path() string {
	r, _ := routes.ByName(c.Route)
	return r.Path
}

// V4Path is the route's v4 path ("" when it has none).
func (c Call) V4Path() string {
	r, _ := routes.ByName(c.Route)
	if len(r.V4) == 0 {
		return ""
	}
	return r.V4[0]
}

// Available returns the calls whose routes exist, in table order.
func Available() []Call {
	var out []Call
	for _, c := range All {
		if r, ok := routes.ByName(c.Route); ok && r.Kind == routes.HTTP {
			out = append(out, c)
		}
	}
	return out
}

// Missing lists the HTTP routes that have no call here.
func Missing() []string {
	have := map[string]bool{}
	for _, c := range All {
		have[c.Route] = true
	}
	var out []string
	for _, r := range routes.All {
		if r.Kind == routes.HTTP && !have[r.Name] {
			out = append(out, r.Name)
		}
	}
	return out
}
