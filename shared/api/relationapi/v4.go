package relationapi

import (
	"encoding/json"

	"imusers/shared/api/call"
	"imusers/shared/wire/jsonbody"
)

// Limits of the v4 contract that v1 does not share.
const (
	maxV4Relationship = 20  // targets of a relationship check
	maxV4ExtKey       = 32  // characters of a friendExtProfile key
	maxV4ExtValue     = 256 // characters of a friendExtProfile value
)

// The v4 forms of the relation operations (the v4 contract's field names, limits and answers).
// The v4 blocklist is the v1 blacklist.
var (
	V4BlacklistAdd    = &call.V4Form{Fields: []jsonbody.Field{owner, jsonbody.IDs("targetUserIds", "blackUserId", maxListChange)}}
	V4BlacklistRemove = &call.V4Form{Fields: []jsonbody.Field{owner, jsonbody.IDs("blockedUserIds", "blackUserId", maxListChange)}}
	V4BlacklistQuery  = &call.V4Form{
		// order is the platform's, accepted and ignored: the list is newest addition first.
		Fields: []jsonbody.Field{owner, pageToken, jsonbody.Int("pageSize", "size", 1, maxListPage), jsonbody.Int("order", "order", 0, 1)},
		Answer: call.Answer(v4Blocklist),
	}

	V4FriendAdd = &call.V4Form{Fields: []jsonbody.Field{owner, target,
		jsonbody.Int("action", "optType", 1, 2).Or("1"), jsonbody.Text("extra", "extra", maxExtra)}}
	V4FriendDelete = &call.V4Form{Fields: []jsonbody.Field{owner, jsonbody.IDs("targetIds", "targetIds", maxFriendBatch)}}
	V4FriendClean  = &call.V4Form{Fields: []jsonbody.Field{owner}}
	// An alias left out clears it (v1's remarkName left out keeps it).
	V4FriendProfileSet = &call.V4Form{Fields: []jsonbody.Field{owner, target,
		jsonbody.Text("alias", "remarkName", maxRemark).Or(""),
		jsonbody.Obj("friendExtProfile", "friendExtProfile", maxExtKeys, maxV4ExtKey, maxV4ExtValue)}}
	V4FriendGet = &call.V4Form{
		Fields: []jsonbody.Field{owner, pageToken, jsonbody.Int("pageSize", "size", 1, maxFriendPage), jsonbody.Int("order", "order", 0, 1)},
		Answer: call.Answer(v4Friends),
	}
	V4FriendCheck = &call.V4Form{
		Fields: []jsonbody.Field{owner, jsonbody.IDs("targetIds", "targetIds", maxV4Relationship)},
		Answer: call.Answer(func(c FriendChecks) any {
			return struct {
				Friendships []CheckResult `json:"friendships"`
			}{c.Results}
		}),
	}
	V4FriendPermissionSet = &call.V4Form{Fields: []jsonbody.Field{permissionUsers, jsonbody.Int("permissionType", "permissionType", 1, 3).Req()}}
	V4FriendPermissionGet = &call.V4Form{Fields: []jsonbody.Field{permissionUsers}, Answer: call.Answer(v4Permissions)}
)

var (
	owner           = jsonbody.ID("userId", "userId")
	target          = jsonbody.ID("targetId", "targetId")
	pageToken       = jsonbody.ByteText("pageToken", "pageToken", maxPageToken)
	permissionUsers = jsonbody.IDs("userIds", "userIds", maxFriendBatch)
)

// v4Blocklist names the next page both ways the platform's documents do.
func v4Blocklist(p ListPage) any {
	return struct {
		BlockedUserIDs []string `json:"blockedUserIds"`
		Next           string   `json:"next,omitempty"`
		PageToken      string   `json:"pageToken,omitempty"`
	}{p.Users, p.Next, p.Next}
}

type v4Friend struct {
	UserID     string          `json:"userId"`
	Name       string          `json:"name"`
	Alias      string          `json:"alias"`
	ExtProfile json.RawMessage `json:"friendExtProfile"` // an object, {} when never set
	AddedAt    int64           `json:"addedAt"`
}

func v4Friends(p FriendPage) any {
	out := make([]v4Friend, len(p.FriendList))
	for i, f := range p.FriendList {
		ext := json.RawMessage(f.ExtProfile)
		if f.ExtProfile == "" {
			ext = json.RawMessage("{}")
		}
		out[i] = v4Friend{f.UserID, f.Name, f.RemarkName, ext, f.Time}
	}
	return struct {
		PageToken  string     `json:"pageToken"`
		TotalCount int64      `json:"totalCount"`
		Friends    []v4Friend `json:"friends"`
	}{p.PageToken, p.TotalCount, out}
}

type v4Permission struct {
	UserID         string `json:"userId"`
	PermissionType int    `json:"permissionType"`
}

func v4Permissions(p Permissions) any {
	out := make([]v4Permission, len(p.Settings))
	for i, s := range p.Settings {
		out[i] = v4Permission{s.UserID, s.Type}
	}
	return struct {
		Permissions []v4Permission `json:"permissions"`
	}{out}
}
