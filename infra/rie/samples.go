package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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

// Register runs userGetToken's success sample event on the stack, so the other functions'
// sample events find their user, and returns the token it was issued.
func Register(ctx context.Context, s *Stack, root string) (string, error) {
	event, err := os.ReadFile(filepath.Join(root, "functions", "userGetToken", "events", "success.json"))
	if err != nil {
		return "", err
	}
	res, err := s.Invoke(ctx, "userGetToken", event, time.Minute)
	if err != nil {
		return "", err
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	var body struct {
		Code  int    `json:"code"`
		Token string `json:"token"`
	}
	if json.Unmarshal(res.Body, &resp) != nil || json.Unmarshal([]byte(resp.Body), &body) != nil || body.Code != 200 || body.Token == "" {
		return "", fmt.Errorf("registering the sample user: userGetToken answered HTTP %d %s", res.Status, res.Body)
	}
	return body.Token, nil
}
