// Package userapi implements the Server API's user-lifecycle operations: it reads and checks
// each call's parameters, asks the users service, and shapes the response of the contract.
package userapi

import (
	"context"
	"time"

	"imusers/shared/api/call"
	"imusers/shared/domain/users"
)

// API serves the user-lifecycle operations.
type API struct {
	Users *users.Service
}

// Limits of the contract.
const (
	maxName      = 64   // characters
	maxPortrait  = 1024 // bytes
	maxExpire    = 20
	maxBatch     = 100
	maxDevPage   = 100
	maxDeactPage = 50
	maxPageNo    = 1_000_000
	maxTime      = 1 << 53 // ms
)

// wireTime is the contract's time format for string fields (UTC).
func wireTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format(time.DateTime)
}

// GetToken: /user/getToken.json.
func (a *API) GetToken(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	user := p.UserID("userId")
	name := p.RequiredText("name", maxName)
	portrait := p.Bytes("portraitUri", maxPortrait)
	if err := p.Err(); err != nil {
		return nil, err
	}
	tok, err := a.Users.GetToken(ctx, r.App, user, name, portrait)
	if err != nil {
		return nil, err
	}
	return Token{user, tok}, nil
}

// Token is GetToken's answer.
type Token struct {
	UserID string `json:"userId"`
	Token  string `json:"token"`
}

// ExpireTokens: /user/token/expire.json.
func (a *API) ExpireTokens(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	ids := p.UserIDs("userId", maxExpire)
	t := p.RequiredInt("time", 0, maxTime)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, a.Users.ExpireTokens(ctx, r.App, ids, time.UnixMilli(t))
}

// Info: /user/info.json.
func (a *API) Info(ctx context.Context, r *call.Request) (any, error) {
	id := r.Params.UserID("userId")
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	u, err := a.Users.Info(ctx, r.App, id)
	if err != nil {
		return nil, err
	}
	return UserInfo{u.Name, u.Portrait, wireTime(u.CreatedAt)}, nil
}

// UserInfo is Info's answer.
type UserInfo struct {
	Name       string `json:"userName"`
	Portrait   string `json:"userPortrait"`
	CreateTime string `json:"createTime"`
}

// Refresh: /user/refresh.json.
func (a *API) Refresh(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	id := p.UserID("userId")
	name := p.Text("name", maxName)
	portrait := p.Bytes("portraitUri", maxPortrait)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, a.Users.Refresh(ctx, r.App, id, name, portrait)
}

// Operation is the answer of the calls that start work on users (deactivation, reactivation).
type Operation struct {
	OperateID string `json:"operateId"`
}

// Deactivate: /user/deactivate.json.
func (a *API) Deactivate(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxBatch)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	op, err := a.Users.Deactivate(ctx, r.App, ids)
	if err != nil {
		return nil, err
	}
	return Operation{op}, nil
}

// Reactivate: /user/reactivate.json. Through v4 (restore), a user deactivated less than an
// hour ago refuses the call.
func (a *API) Reactivate(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxBatch)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	var wait time.Duration
	if r.Wire == call.V4 {
		wait = users.RestoreWait
	}
	op, err := a.Users.Reactivate(ctx, r.App, ids, wait)
	if err != nil {
		return nil, err
	}
	return Operation{op}, nil
}

// DeactivatedQuery: /user/deactivate/query.json.
func (a *API) DeactivatedQuery(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	pageNo := p.Int("pageNo", 1, maxPageNo, 1)
	pageSize := p.Int("pageSize", 1, maxDeactPage, maxDeactPage)
	if err := p.Err(); err != nil {
		return nil, err
	}
	ids, err := a.Users.ListDeactivated(ctx, r.App, int(pageNo), int(pageSize))
	if err != nil {
		return nil, err
	}
	return UserIDs{nonNil(ids)}, nil
}

// UserIDs is the answer of the deactivated list.
type UserIDs struct {
	Users []string `json:"users"`
}

type devUser struct {
	UserID   string `json:"userId"`
	Name     string `json:"userName"`
	Portrait string `json:"userPortrait"`
	RegTime  string `json:"regTime"`
}

// Query: /user/query.json (development apps only).
func (a *API) Query(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	page := p.Int("page", 1, maxPageNo, 1)
	size := p.Int("pageSize", 1, maxDevPage, 20)
	order := p.Int("order", 0, 1, 0)
	if err := p.Err(); err != nil {
		return nil, err
	}
	total, list, err := a.Users.ListDev(ctx, r.App, int(page), int(size), order == 1)
	if err != nil {
		return nil, err
	}
	out := make([]devUser, len(list))
	for i, u := range list {
		out[i] = devUser{u.ID, u.Name, u.Portrait, wireTime(u.CreatedAt)}
	}
	return struct {
		Total int       `json:"total"`
		Users []devUser `json:"users"`
	}{total, out}, nil
}

// DeleteUsers: /user/delusers.json (development apps only).
func (a *API) DeleteUsers(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxBatch)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, a.Users.DeleteDev(ctx, r.App, ids)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
