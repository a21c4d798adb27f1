package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// TokenPlaceholder stands for a user token in sample events (the connection API's token
// query parameter). A token is only good from its user's registration on, so no fixed
// token can be written down: the runs register the sample user first and put that token in.
const TokenPlaceholder = "TOKEN_FROM_USER_GET_TOKEN"

// WithToken puts token where an event has TokenPlaceholder.
func WithToken(event []byte, token string) []byte {
	return bytes.ReplaceAll(event, []byte(TokenPlaceholder), []byte(token))
}

// Setup names, for the functions whose success event reads or changes earlier state, the
// functions whose success events must run first (a friend to look up, a list entry to remove).
var Setup = map[string][]string{
	"userDeactivateQuery":   {"userDeactivate"},
	"userReactivate":        {"userDeactivate"},
	"userUnblock":           {"userBlock"},
	"userBlockQuery":        {"userBlock"},
	"userProfileQuery":      {"userProfileSet"},
	"userProfileBatchQuery": {"userProfileSet"},
	"userProfileClean":      {"userProfileSet"},
	"userTagsGet":           {"userTagBatchSet"},
	"userBlacklistRemove":   {"userBlacklistAdd"},
	"userBlacklistQuery":    {"userBlacklistAdd"},
	"userWhitelistRemove":   {"userWhitelistAdd"},
	"userWhitelistQuery":    {"userWhitelistAdd"},
	"userWhitesettingQuery": {"userWhitesettingSet"},
	"friendDelete":          {"friendAdd"},
	"friendClean":           {"friendAdd"},
	"friendProfileSet":      {"friendAdd"},
	"friendGet":             {"friendAdd"},
	"friendCheck":           {"friendAdd"},
	"friendPermissionGet":   {"friendPermissionSet"},
	"appSettingQuery":       {"appSettingSet"},
	"appWebhookTest":        {"appSettingSet"},
	"userChatFbQuerylist":   {"userChatFbSet"},
	"wsCheckBlocked":        {"userBlacklistAdd"},
	"wsGetBlocklist":        {"userBlacklistAdd"},
	"wsRemoveFromBlocklist": {"userBlacklistAdd"},
}

// Needs lists the functions a run of fn's sample events starts: fn, userGetToken (which
// registers the sample users) and fn's setup functions.
func Needs(fn string) []string {
	out := append([]string{fn, "userGetToken"}, Setup[fn]...)
	slices.Sort(out)
	return slices.Compact(out)
}

// Prepare brings a fresh table to the state fn's sample events expect: every sample user
// registered (userGetToken's success events, success.json first), then fn's setup events. It
// returns the token issued to the user of userGetToken's success.json.
func Prepare(ctx context.Context, s *Stack, root, fn string) (string, error) {
	dir := filepath.Join(root, "functions", "userGetToken", "events")
	more, err := filepath.Glob(filepath.Join(dir, "success-*.json"))
	if err != nil {
		return "", err
	}
	var token string
	for i, p := range append([]string{filepath.Join(dir, "success.json")}, more...) {
		body, err := succeed(ctx, s, "userGetToken", p)
		if err != nil {
			return "", fmt.Errorf("registering the sample users: %w", err)
		}
		if i == 0 {
			var b struct {
				Token string `json:"token"`
			}
			if json.Unmarshal(body, &b) != nil || b.Token == "" {
				return "", fmt.Errorf("registering the sample users: no token in %s", body)
			}
			token = b.Token
		}
	}
	for _, dep := range Setup[fn] {
		p := filepath.Join(root, "functions", dep, "events", "success.json")
		if _, err := succeed(ctx, s, dep, p); err != nil {
			return "", fmt.Errorf("setting up for %s: %w", fn, err)
		}
	}
	return token, nil
}

// succeed runs one HTTP sample event and returns the response body, which must be a success.
func succeed(ctx context.Context, s *Stack, fn, path string) ([]byte, error) {
	event, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	res, err := s.Invoke(ctx, fn, event, time.Minute)
	if err != nil {
		return nil, err
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	var body struct {
		Code int `json:"code"`
	}
	if json.Unmarshal(res.Body, &resp) != nil || json.Unmarshal([]byte(resp.Body), &body) != nil || resp.StatusCode != 200 || body.Code != 200 {
		return nil, fmt.Errorf("%s with %s answered HTTP %d %s", fn, filepath.Base(path), res.Status, res.Body)
	}
	return []byte(resp.Body), nil
}
