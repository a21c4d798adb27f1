package userapi

import (
	"context"
	"math"

	"imusers/shared/api/call"
	"imusers/shared/wire/apierr"
)

// Limits of the direct-chat mute calls.
const (
	maxMute        = 1000
	defaultMuteNum = 100
	maxMuteNum     = 200
	// mutedPerson is the one chat type a mute applies to, as the contract spells it.
	mutedPerson = "PERSON"
)

// checkMuteType refuses any type but PERSON (case-sensitive).
func checkMuteType(typ string) error {
	if typ != mutedPerson {
		return apierr.Malformed("type", "must be PERSON")
	}
	return nil
}

// ChatMuteSet: /user/chat/fb/set.json.
func (a *API) ChatMuteSet(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	ids := p.UserIDs("userId", maxMute)
	state := p.RequiredInt("state", 0, 1)
	typ := p.RequiredText("type", math.MaxInt) // any other type is a 1002, however long
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := checkMuteType(typ); err != nil {
		return nil, err
	}
	return nil, a.Users.SetMuted(ctx, r.App, ids, state == 1)
}

type mutedList struct {
	Total int      `json:"total"`
	Users []string `json:"users"`
}

// ChatMuteQuery: /user/chat/fb/querylist.json. A num of 0 is the default, as the Go server SDK
// sends it.
func (a *API) ChatMuteQuery(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	num := p.Int("num", 0, maxMuteNum, defaultMuteNum)
	offset := p.Int("offset", 0, math.MaxInt32, 0)
	typ := p.RequiredText("type", math.MaxInt) // any other type is a 1002, however long
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := checkMuteType(typ); err != nil {
		return nil, err
	}
	if num == 0 {
		num = defaultMuteNum
	}
	page, err := a.Users.Muted(ctx, r.App, int(offset), int(num))
	if err != nil {
		return nil, err
	}
	return mutedList{page.Total, nonNil(page.Users)}, nil
}
