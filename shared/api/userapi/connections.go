package userapi

import (
	"context"
	"time"

	"imusers/shared/api/call"
	"imusers/shared/domain/users"
)

// Limits of the ban and presence calls.
const (
	maxBlock        = 20
	maxBlockMinutes = int64(users.MaxBan / time.Minute)
	defaultBanPage  = 50
	// A block query without page or size answers the first 1000 bans, as the platform does.
	allBansPage = 1000
	maxBanPage  = 1000
	maxOnline   = 100
)

// Block: /user/block.json.
func (a *API) Block(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	ids := p.UserIDs("userId", maxBlock)
	minutes := p.RequiredInt("minute", 1, maxBlockMinutes)
	if err := p.Err(); err != nil {
		return nil, err
	}
	return nil, a.Users.Block(ctx, r.App, ids, time.Duration(minutes)*time.Minute)
}

// Unblock: /user/unblock.json.
func (a *API) Unblock(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxBlock)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	return nil, a.Users.Unblock(ctx, r.App, ids)
}

// Bans is BlockQuery's answer.
type Bans struct {
	Users []BlockedUser `json:"users"`
}

// BlockedUser is one ban in force.
type BlockedUser struct {
	UserID       string `json:"userId"`
	BlockEndTime string `json:"blockEndTime"`
}

// BlockQuery: /user/block/query.json. Through v4 (ban list), bans come latest end first, and a
// call without page is the first 1000 whatever its page size.
func (a *API) BlockQuery(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	page := p.Int("page", 1, maxPageNo, 0)
	size := p.Int("size", 1, maxBanPage, 0)
	if err := p.Err(); err != nil {
		return nil, err
	}
	v4 := r.Wire == call.V4
	switch {
	case page == 0 && (size == 0 || v4):
		page, size = 1, allBansPage
	case page == 0:
		page = 1
	case size == 0:
		size = defaultBanPage
	}
	bans, err := a.Users.ListBlocked(ctx, r.App, int(page), int(size), v4)
	if err != nil {
		return nil, err
	}
	out := make([]BlockedUser, len(bans))
	for i, b := range bans {
		out[i] = BlockedUser{b.User, wireTime(b.Until)}
	}
	return Bans{out}, nil
}

func status(online bool) string {
	if online {
		return "1"
	}
	return "0"
}

// CheckOnline: /user/checkOnline.json.
func (a *API) CheckOnline(ctx context.Context, r *call.Request) (any, error) {
	id := r.Params.UserID("userId")
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	online, err := a.Users.Online(ctx, r.App, id)
	if err != nil {
		return nil, err
	}
	return Status{status(online)}, nil
}

// Status is CheckOnline's answer: "1" online, "0" not.
type Status struct {
	Status string `json:"status"`
}

type userStatus struct {
	UserID string `json:"userId"`
	Status string `json:"status"`
}

// statuses is CheckOnlineBatch's answer.
type statuses struct {
	Users []userStatus `json:"users"`
}

// CheckOnlineBatch: /user/checkOnline/batch.json (this service's extension: up to 100 users in
// one call, answered in the order asked).
func (a *API) CheckOnlineBatch(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userId", maxOnline)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	online, err := a.Users.OnlineMany(ctx, r.App, ids)
	if err != nil {
		return nil, err
	}
	out := make([]userStatus, len(ids))
	for i, id := range ids {
		out[i] = userStatus{id, status(online[i])}
	}
	return statuses{out}, nil
}
