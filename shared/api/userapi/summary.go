package userapi

import (
	"context"

	"imusers/shared/api/call"
)

// UserSummary is Summary's answer. Times are the contract's UTC text, as in info and the ban
// list; "" where there is none.
type UserSummary struct {
	UserID        string   `json:"userId"`
	Deactivated   bool     `json:"deactivated"`
	Name          string   `json:"userName"`
	Portrait      string   `json:"userPortrait"`
	CreateTime    string   `json:"createTime"`
	Online        bool     `json:"online"`
	BlockEndTime  string   `json:"blockEndTime"`
	Muted         bool     `json:"muted"`
	WhitelistMode bool     `json:"whitelistMode"`
	BlacklistSize int64    `json:"blacklistSize"`
	WhitelistSize int64    `json:"whitelistSize"`
	FriendCount   int64    `json:"friendCount"`
	Tags          []string `json:"tags"`
	HasProfile    bool     `json:"hasProfile"`
}

// Summary: /user/summary.json (this service's extension: what the console's user screen
// shows, in one read). An unknown user is 3001, as for info; a deactivated one answers with
// deactivated true and what info withholds from it (name, portrait, registration time) empty.
func (a *API) Summary(ctx context.Context, r *call.Request) (any, error) {
	id := r.Params.UserID("userId")
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	s, err := a.Users.Summary(ctx, r.App, id)
	if err != nil {
		return nil, err
	}
	out := UserSummary{
		UserID:        id,
		Deactivated:   s.Deactivated,
		Online:        s.Online,
		Muted:         s.Muted,
		WhitelistMode: s.WhiteMode,
		BlacklistSize: s.Blocklist,
		WhitelistSize: s.Whitelist,
		FriendCount:   s.Friends,
		Tags:          nonNil(s.Tags),
		HasProfile:    s.HostedProfile,
	}
	if !s.Deactivated {
		out.Name, out.Portrait, out.CreateTime = s.User.Name, s.User.Portrait, wireTime(s.User.CreatedAt)
	}
	if s.BanUntil != 0 {
		out.BlockEndTime = wireTime(s.BanUntil)
	}
	return out, nil
}
