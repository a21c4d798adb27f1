package profileapi

import (
	"encoding/json"

	"imusers/shared/api/call"
	"imusers/shared/domain/profiles"
	"imusers/shared/wire/jsonbody"
)

// maxV4Batch bounds the users of a v4 profile batch get (v1 takes 100).
const maxV4Batch = 20

// The v4 forms of the hosted-profile and tag operations (the v4 contract's field names, limits
// and answers). The profile objects reach the same key-by-key rules as v1's JSON texts, so a
// bad key is named in the answer's profileKey on both wires.
var (
	V4TagBatchSet = &call.V4Form{Fields: []jsonbody.Field{
		jsonbody.IDs("userIds", "userIds", profiles.MaxTagUsers), jsonbody.List("tags", "tags", profiles.MaxTags).Req(),
	}}
	V4TagsGet = &call.V4Form{
		Fields: []jsonbody.Field{jsonbody.IDs("userIds", "userIds", profiles.MaxTagQueries)},
		Answer: call.Answer(v4Tags),
	}
	V4ProfileSet = &call.V4Form{Fields: []jsonbody.Field{
		jsonbody.ID("userId", "userId"),
		jsonbody.Members("userProfile", "userProfile"),
		jsonbody.Members("userExtProfile", "userExtProfile"),
	}}
	V4ProfileBatchQuery = &call.V4Form{
		Fields: []jsonbody.Field{jsonbody.IDs("userIds", "userId", maxV4Batch)},
		Answer: call.Answer(v4Profiles),
	}
	V4ProfileQuery = &call.V4Form{
		Fields: []jsonbody.Field{
			jsonbody.Int("page", "page", 1, maxPageNo), jsonbody.Int("pageSize", "size", 1, maxPage), jsonbody.Int("order", "order", 0, 1),
		},
		Answer: call.Answer(v4Profiles),
	}
	V4ProfileClean = &call.V4Form{Fields: []jsonbody.Field{jsonbody.IDs("userIds", "userId", maxClean)}}
)

type v4UserTags struct {
	UserID string   `json:"userId"`
	Tags   []string `json:"tags"`
}

// v4Tags lists the users in the order asked.
func v4Tags(t Tags) any {
	out := make([]v4UserTags, len(t.asked))
	for i, id := range t.asked {
		out[i] = v4UserTags{id, t.Result[id]}
	}
	return struct {
		Users []v4UserTags `json:"users"`
	}{out}
}

// v4Profile is one user's hosted profile with both parts as JSON objects (v1 sends them as JSON
// text).
type v4Profile struct {
	UserID  string          `json:"userId"`
	Version int64           `json:"version"`
	Profile json.RawMessage `json:"userProfile"`
	Ext     json.RawMessage `json:"userExtProfile"`
}

func v4Profiles(l userList) any {
	out := make([]v4Profile, len(l.Users))
	for i, e := range l.Users {
		out[i] = v4Profile{e.UserID, e.Version, json.RawMessage(e.Profile), json.RawMessage(e.Ext)}
	}
	return struct {
		Users []v4Profile `json:"users"`
	}{out}
}
