package v4client

import "context"

// Requests and results of docs/openapi-v4.yaml, by operationId. Optional fields are left out
// when zero.

type IssueAccessTokenRequest struct {
	UserID    string `json:"userId"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatarUrl,omitempty"`
}

type IssueAccessTokenResult struct {
	UserID      string `json:"userId"`
	AccessToken string `json:"accessToken"`
}

func (c *Client) IssueAccessToken(ctx context.Context, r IssueAccessTokenRequest) (*IssueAccessTokenResult, error) {
	return call[IssueAccessTokenResult](ctx, c, "/v4/auth/access-token/issue", r)
}

type ExpireAccessTokensRequest struct {
	UserIDs   []string `json:"userIds"`
	ExpiresAt int64    `json:"expiresAt"`
}

func (c *Client) ExpireAccessTokens(ctx context.Context, r ExpireAccessTokensRequest) error {
	return do(ctx, c, "/v4/auth/access-token/expire", r)
}

type UserRequest struct {
	UserID string `json:"userId"`
}

type GetUserResult struct {
	Name      string `json:"name"`
	AvatarURL string `json:"avatarUrl"`
	CreatedAt string `json:"createdAt"`
}

func (c *Client) GetUser(ctx context.Context, r UserRequest) (*GetUserResult, error) {
	return call[GetUserResult](ctx, c, "/v4/user/get", r)
}

type UpdateUserRequest struct {
	UserID    string `json:"userId"`
	Name      string `json:"name,omitempty"`
	AvatarURL string `json:"avatarUrl,omitempty"`
}

func (c *Client) UpdateUser(ctx context.Context, r UpdateUserRequest) error {
	return do(ctx, c, "/v4/user/update", r)
}

type UsersRequest struct {
	UserIDs []string `json:"userIds"`
}

type OperationResult struct {
	OperationID string `json:"operationId"`
}

func (c *Client) SoftDeleteUsers(ctx context.Context, r UsersRequest) (*OperationResult, error) {
	return call[OperationResult](ctx, c, "/v4/user/soft-delete", r)
}

type PageRequest struct {
	Page     int64 `json:"page,omitempty"`
	PageSize int64 `json:"pageSize,omitempty"`
}

type ListSoftDeletedUsersResult struct {
	UserIDs []string `json:"userIds"`
}

func (c *Client) ListSoftDeletedUsers(ctx context.Context, r PageRequest) (*ListSoftDeletedUsersResult, error) {
	return call[ListSoftDeletedUsersResult](ctx, c, "/v4/user/soft-deleted/list", r)
}

func (c *Client) RestoreUsers(ctx context.Context, r UsersRequest) (*OperationResult, error) {
	return call[OperationResult](ctx, c, "/v4/user/restore", r)
}

type BanUsersRequest struct {
	UserIDs         []string `json:"userIds"`
	DurationMinutes int64    `json:"durationMinutes"`
}

func (c *Client) BanUsers(ctx context.Context, r BanUsersRequest) error {
	return do(ctx, c, "/v4/user/ban", r)
}

func (c *Client) UnbanUsers(ctx context.Context, r UsersRequest) error {
	return do(ctx, c, "/v4/user/unban", r)
}

type BannedUser struct {
	UserID       string `json:"userId"`
	BanExpiresAt string `json:"banExpiresAt"`
}

type ListBannedUsersResult struct {
	BannedUsers []BannedUser `json:"bannedUsers"`
}

func (c *Client) ListBannedUsers(ctx context.Context, r PageRequest) (*ListBannedUsersResult, error) {
	return call[ListBannedUsersResult](ctx, c, "/v4/user/ban/list", r)
}

type ConnectionStatusResult struct {
	Status string `json:"status"`
}

func (c *Client) GetConnectionStatus(ctx context.Context, r UserRequest) (*ConnectionStatusResult, error) {
	return call[ConnectionStatusResult](ctx, c, "/v4/user/connection-status/get", r)
}

// GetOnlineStatus is GetConnectionStatus at the path the platform's docs give.
func (c *Client) GetOnlineStatus(ctx context.Context, r UserRequest) (*ConnectionStatusResult, error) {
	return call[ConnectionStatusResult](ctx, c, "/v4/user/online-status/get", r)
}

type AddToBlocklistRequest struct {
	UserID        string   `json:"userId"`
	TargetUserIDs []string `json:"targetUserIds"`
}

func (c *Client) AddToBlocklist(ctx context.Context, r AddToBlocklistRequest) error {
	return do(ctx, c, "/v4/user/blocklist/add", r)
}

type RemoveFromBlocklistRequest struct {
	UserID         string   `json:"userId"`
	BlockedUserIDs []string `json:"blockedUserIds"`
}

func (c *Client) RemoveFromBlocklist(ctx context.Context, r RemoveFromBlocklistRequest) error {
	return do(ctx, c, "/v4/user/blocklist/remove", r)
}

type GetBlocklistRequest struct {
	UserID    string `json:"userId"`
	PageToken string `json:"pageToken,omitempty"`
	PageSize  int64  `json:"pageSize,omitempty"`
	Order     int64  `json:"order,omitempty"`
}

type GetBlocklistResult struct {
	BlockedUserIDs []string `json:"blockedUserIds"`
	Next           string   `json:"next"`
	PageToken      string   `json:"pageToken"`
}

func (c *Client) GetBlocklist(ctx context.Context, r GetBlocklistRequest) (*GetBlocklistResult, error) {
	return call[GetBlocklistResult](ctx, c, "/v4/user/blocklist/get", r)
}

type AddFriendRequest struct {
	UserID   string `json:"userId"`
	TargetID string `json:"targetId"`
	Action   int64  `json:"action,omitempty"`
	Extra    string `json:"extra,omitempty"`
}

func (c *Client) AddFriend(ctx context.Context, r AddFriendRequest) error {
	return do(ctx, c, "/v4/friend/add", r)
}

type TargetsRequest struct {
	UserID    string   `json:"userId"`
	TargetIDs []string `json:"targetIds"`
}

func (c *Client) RemoveFriends(ctx context.Context, r TargetsRequest) error {
	return do(ctx, c, "/v4/friend/remove", r)
}

// DeleteFriends is RemoveFriends at the path the platform's docs give.
func (c *Client) DeleteFriends(ctx context.Context, r TargetsRequest) error {
	return do(ctx, c, "/v4/friend/delete", r)
}

func (c *Client) RemoveAllFriends(ctx context.Context, r UserRequest) error {
	return do(ctx, c, "/v4/friend/remove-all", r)
}

type SetFriendProfileRequest struct {
	UserID   string  `json:"userId"`
	TargetID string  `json:"targetId"`
	Alias    *string `json:"alias,omitempty"` // nil: left out, which clears the alias
	// FriendExtProfile nil is left out (kept); an empty map clears it.
	FriendExtProfile map[string]string `json:"friendExtProfile,omitzero"`
}

func (c *Client) SetFriendProfile(ctx context.Context, r SetFriendProfileRequest) error {
	return do(ctx, c, "/v4/friend/profile/set", r)
}

type ListFriendsRequest struct {
	UserID    string `json:"userId"`
	PageToken string `json:"pageToken,omitempty"`
	PageSize  int64  `json:"pageSize,omitempty"`
	Order     int64  `json:"order,omitempty"`
}

type Friend struct {
	UserID           string            `json:"userId"`
	Name             string            `json:"name"`
	Alias            string            `json:"alias"`
	FriendExtProfile map[string]string `json:"friendExtProfile"`
	AddedAt          int64             `json:"addedAt"`
}

type ListFriendsResult struct {
	PageToken  string   `json:"pageToken"`
	TotalCount int64    `json:"totalCount"`
	Friends    []Friend `json:"friends"`
}

func (c *Client) ListFriends(ctx context.Context, r ListFriendsRequest) (*ListFriendsResult, error) {
	return call[ListFriendsResult](ctx, c, "/v4/friend/list", r)
}

type Friendship struct {
	UserID string `json:"userId"`
	Result int    `json:"result"`
}

type GetFriendRelationshipsResult struct {
	Friendships []Friendship `json:"friendships"`
}

func (c *Client) GetFriendRelationships(ctx context.Context, r TargetsRequest) (*GetFriendRelationshipsResult, error) {
	return call[GetFriendRelationshipsResult](ctx, c, "/v4/friend/relationship/get", r)
}

type SetFriendPermissionRequest struct {
	UserIDs        []string `json:"userIds"`
	PermissionType int64    `json:"permissionType"`
}

func (c *Client) SetFriendPermission(ctx context.Context, r SetFriendPermissionRequest) error {
	return do(ctx, c, "/v4/friend/permission/set", r)
}

type Permission struct {
	UserID         string `json:"userId"`
	PermissionType int    `json:"permissionType"`
}

type GetFriendPermissionResult struct {
	Permissions []Permission `json:"permissions"`
}

func (c *Client) GetFriendPermission(ctx context.Context, r UsersRequest) (*GetFriendPermissionResult, error) {
	return call[GetFriendPermissionResult](ctx, c, "/v4/friend/permission/get", r)
}

type SetChannelTypeMuteRequest struct {
	UserIDs      []string `json:"userIds"`
	MuteState    int64    `json:"muteState"`
	ChannelTypes []any    `json:"channelTypes"` // "PERSON", "1" or 1
}

func (c *Client) SetChannelTypeMute(ctx context.Context, r SetChannelTypeMuteRequest) error {
	return do(ctx, c, "/v4/channel-type/mute/set", r)
}

type ListChannelTypeMutesRequest struct {
	ChannelType string `json:"channelType"`
	PageSize    int64  `json:"pageSize,omitempty"`
	Offset      int64  `json:"offset,omitempty"`
}

type ListChannelTypeMutesResult struct {
	TotalCount   int      `json:"totalCount"`
	MutedUserIDs []string `json:"mutedUserIds"`
}

func (c *Client) ListChannelTypeMutes(ctx context.Context, r ListChannelTypeMutesRequest) (*ListChannelTypeMutesResult, error) {
	return call[ListChannelTypeMutesResult](ctx, c, "/v4/channel-type/mute/list", r)
}

type SetUserTagsRequest struct {
	UserIDs []string `json:"userIds"`
	Tags    []string `json:"tags"` // [] clears; nil is sent as null, which is no tags field at all
}

func (c *Client) SetUserTags(ctx context.Context, r SetUserTagsRequest) error {
	return do(ctx, c, "/v4/user/tag/batch/set", r)
}

type UserTags struct {
	UserID string   `json:"userId"`
	Tags   []string `json:"tags"`
}

type GetUserTagsResult struct {
	Users []UserTags `json:"users"`
}

func (c *Client) GetUserTags(ctx context.Context, r UsersRequest) (*GetUserTagsResult, error) {
	return call[GetUserTagsResult](ctx, c, "/v4/user/tag/batch/get", r)
}

type SetUserProfileRequest struct {
	UserID         string         `json:"userId"`
	UserProfile    map[string]any `json:"userProfile,omitempty"`
	UserExtProfile map[string]any `json:"userExtProfile,omitempty"`
}

func (c *Client) SetUserProfile(ctx context.Context, r SetUserProfileRequest) error {
	return do(ctx, c, "/v4/user/profile/set", r)
}

type HostedProfile struct {
	UserID         string            `json:"userId"`
	Version        int64             `json:"version"`
	UserProfile    map[string]any    `json:"userProfile"`
	UserExtProfile map[string]string `json:"userExtProfile"`
}

type UserProfilesResult struct {
	Users []HostedProfile `json:"users"`
}

func (c *Client) GetUserProfiles(ctx context.Context, r UsersRequest) (*UserProfilesResult, error) {
	return call[UserProfilesResult](ctx, c, "/v4/user/profile/batch/get", r)
}

type ListUserProfilesRequest struct {
	Page     int64 `json:"page,omitempty"`
	PageSize int64 `json:"pageSize,omitempty"`
	Order    int64 `json:"order,omitempty"`
}

func (c *Client) ListUserProfiles(ctx context.Context, r ListUserProfilesRequest) (*UserProfilesResult, error) {
	return call[UserProfilesResult](ctx, c, "/v4/user/profile/list", r)
}

func (c *Client) DeleteUserProfiles(ctx context.Context, r UsersRequest) error {
	return do(ctx, c, "/v4/user/profile/delete", r)
}
