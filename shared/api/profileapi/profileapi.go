// Package profileapi implements the Server API's hosted-profile and tag operations (v1): it
// reads each call's form or JSON body, asks the profiles service, and shapes the contract's
// answers.
package profileapi

import (
	"context"
	"encoding/json"

	"imusers/shared/api/call"
	"imusers/shared/domain/profiles"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
)

// API serves the hosted-profile and tag operations.
type API struct {
	Profiles *profiles.Service
}

// Limits of the contract.
const (
	maxClean  = 20
	maxBatch  = 100
	maxPage   = 100
	maxPageNo = 1_000_000
	defPage   = 20
	maxObject = form.MaxBody // a profile object is bounded by the body, its values by the rules of its keys
)

// ProfileSet: /user/profile/set.json. An empty parameter counts as absent (one official SDK
// always sends both).
func (a *API) ProfileSet(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	user := p.UserID("userId")
	basic := p.Bytes("userProfile", maxObject)
	ext := p.Bytes("userExtProfile", maxObject)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if basic == "" && ext == "" {
		return nil, apierr.Missing("userProfile")
	}
	var c profiles.Change
	if basic != "" {
		if err := c.DecodeProfile([]byte(basic)); err != nil {
			return nil, err
		}
	}
	if ext != "" {
		if err := c.DecodeExt([]byte(ext)); err != nil {
			return nil, err
		}
	}
	return nil, a.Profiles.Set(ctx, r.App, user, c)
}

// ProfileClean: /user/profile/clean.json.
func (a *API) ProfileClean(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxClean)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, a.Profiles.Clean(ctx, r.App, ids)
}

// entry is one user of userList: both profile objects as JSON text inside the answer's JSON,
// as the official SDKs decode them.
type entry struct {
	UserID  string `json:"userId"`
	Version int64  `json:"version"`
	Profile string `json:"userProfile"`
	Ext     string `json:"userExtProfile"`
}

type userList struct {
	Users []entry `json:"userList"`
}

func answer(list []*profiles.Profile) (userList, error) {
	out := userList{Users: make([]entry, len(list))}
	for i, p := range list {
		basic := make(map[string]any, len(p.Text)+len(p.Numbers))
		for k, v := range p.Text {
			basic[k] = v
		}
		for k, v := range p.Numbers {
			basic[k] = v
		}
		profile, err := jsonText(basic)
		if err != nil {
			return userList{}, err
		}
		ext, err := jsonText(p.Ext)
		if err != nil {
			return userList{}, err
		}
		out.Users[i] = entry{p.User, p.Version, profile, ext}
	}
	return out, nil
}

// jsonText is m as a JSON object's text, "{}" when m is empty.
func jsonText[V any](m map[string]V) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// ProfileQuery: /user/profile/query.json. count is the documented example's name for size.
func (a *API) ProfileQuery(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	page := p.Int("page", 1, maxPageNo, 1)
	sizeName := "size"
	if !p.Has("size") {
		sizeName = "count"
	}
	size := p.Int(sizeName, 1, maxPage, defPage)
	order := p.Int("order", 0, 1, 0)
	if err := p.Err(); err != nil {
		return nil, err
	}
	list, err := a.Profiles.List(ctx, r.App, int(page), int(size), order == 1)
	if err != nil {
		return nil, err
	}
	return answer(list)
}

// ProfileBatchQuery: /user/profile/batch/query.json.
func (a *API) ProfileBatchQuery(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxBatch)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	list, err := a.Profiles.Get(ctx, r.App, ids)
	if err != nil {
		return nil, err
	}
	return answer(list)
}
