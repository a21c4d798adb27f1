package userapi

import (
	"math"

	"imusers/shared/api/call"
	"imusers/shared/wire/jsonbody"
)

// The v4 forms of the user operations (the v4 contract's field names, limits and answers).
var (
	V4GetToken = &call.V4Form{
		Fields: []jsonbody.Field{userID, jsonbody.Text("name", "name", maxName).Req(), avatarURL},
		Answer: call.Answer(func(t Token) any {
			return struct {
				UserID      string `json:"userId"`
				AccessToken string `json:"accessToken"`
			}{t.UserID, t.Token}
		}),
	}
	V4ExpireTokens = &call.V4Form{Fields: []jsonbody.Field{
		jsonbody.IDs("userIds", "userId", maxExpire), jsonbody.Int("expiresAt", "time", 0, maxTime).Req(),
	}}
	V4Info = &call.V4Form{
		Fields: []jsonbody.Field{userID},
		Answer: call.Answer(func(u UserInfo) any {
			return struct {
				Name      string `json:"name"`
				AvatarURL string `json:"avatarUrl"`
				CreatedAt string `json:"createdAt"`
			}{u.Name, u.Portrait, u.CreateTime}
		}),
	}
	V4Refresh = &call.V4Form{Fields: []jsonbody.Field{userID, jsonbody.Text("name", "name", maxName), avatarURL}}
	// Soft delete is deactivation; restore is reactivation, refused within RestoreWait.
	V4Deactivate       = &call.V4Form{Fields: []jsonbody.Field{batch}, Answer: call.Answer(v4Operation)}
	V4Reactivate       = &call.V4Form{Fields: []jsonbody.Field{batch}, Answer: call.Answer(v4Operation)}
	V4DeactivatedQuery = &call.V4Form{
		Fields: []jsonbody.Field{jsonbody.Int("page", "pageNo", 1, maxPageNo), jsonbody.Int("pageSize", "pageSize", 1, maxDeactPage)},
		Answer: call.Answer(func(l UserIDs) any {
			return struct {
				UserIDs []string `json:"userIds"`
			}{l.Users}
		}),
	}

	// A ban is a block.
	V4Block = &call.V4Form{Fields: []jsonbody.Field{
		jsonbody.IDs("userIds", "userId", maxBlock), jsonbody.Int("durationMinutes", "minute", 1, maxBlockMinutes).Req(),
	}}
	V4Unblock    = &call.V4Form{Fields: []jsonbody.Field{jsonbody.IDs("userIds", "userId", maxBlock)}}
	V4BlockQuery = &call.V4Form{
		Fields: []jsonbody.Field{jsonbody.Int("page", "page", 1, maxPageNo), jsonbody.Int("pageSize", "size", 1, maxBanPage)},
		Answer: call.Answer(v4Bans),
	}
	V4CheckOnline = &call.V4Form{
		Fields: []jsonbody.Field{userID},
		Answer: call.Answer(func(s Status) any { return s }),
	}

	// Direct-chat mute: every channel type named must be the direct one, as v1's type PERSON.
	V4ChatMuteSet = &call.V4Form{Fields: []jsonbody.Field{
		jsonbody.IDs("userIds", "userId", maxMute), jsonbody.Int("muteState", "state", 0, 1).Req(),
		jsonbody.SomeOf("channelTypes", "type", map[string]string{`"PERSON"`: mutedPerson, `"1"`: mutedPerson, `1`: mutedPerson}),
	}}
	V4ChatMuteQuery = &call.V4Form{
		Fields: []jsonbody.Field{
			jsonbody.OneOf("channelType", "type", map[string]string{`"PERSON"`: mutedPerson, `"1"`: mutedPerson}).Req(),
			jsonbody.Int("pageSize", "num", 1, maxMuteNum), jsonbody.Int("offset", "offset", 0, math.MaxInt32),
		},
		Answer: call.Answer(func(l mutedList) any {
			return struct {
				TotalCount int      `json:"totalCount"`
				Users      []string `json:"mutedUserIds"`
			}{l.Total, l.Users}
		}),
	}
)

var (
	userID    = jsonbody.ID("userId", "userId")
	avatarURL = jsonbody.ByteText("avatarUrl", "portraitUri", maxPortrait)
	batch     = jsonbody.IDs("userIds", "userId", maxBatch)
)

func v4Operation(op Operation) any {
	return struct {
		OperationID string `json:"operationId"`
	}{op.OperateID}
}

type bannedUser struct {
	UserID       string `json:"userId"`
	BanExpiresAt string `json:"banExpiresAt"`
}

func v4Bans(b Bans) any {
	out := make([]bannedUser, len(b.Users))
	for i, u := range b.Users {
		out[i] = bannedUser{u.UserID, u.BlockEndTime}
	}
	return struct {
		BannedUsers []bannedUser `json:"bannedUsers"`
	}{out}
}
