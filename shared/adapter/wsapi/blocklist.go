package wsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"imusers/shared/adapter/wsconn"
	"imusers/shared/api/call"
	"imusers/shared/apps"
	"imusers/shared/domain/relations"
	"imusers/shared/wire/apierr"
)

// The client's own blocklist over its connection: four two-way routes, each answered with one
// result frame. They run the rules of /user/blacklist/* on the same list, for the connection's
// own user (relations.ByClient), at the same cost.

// Actions of the blocklist frames, which are their routes' keys.
const (
	ActionAddToBlocklist      = "addToBlocklist"
	ActionRemoveFromBlocklist = "removeFromBlocklist"
	ActionCheckBlocked        = "checkBlocked"
	ActionGetBlocklist        = "getBlocklist"
)

// Limits of the blocklist frames.
const (
	// MaxRequestID is the longest requestId a frame may carry, in bytes.
	MaxRequestID = 128
	// MaxBlocklistPage is the largest getBlocklist page, and the default. API Gateway refuses a
	// WebSocket frame over 32 KB: 400 userIds of 64 bytes are 26,800 bytes of JSON, which with
	// the frame's other fields (a requestId escaped at worst to 768 bytes, the next page's
	// token) stays under it.
	MaxBlocklistPage = 400
)

// ListFrame is a blocklist frame:
// {"action":"addToBlocklist","userId":"…","requestId":"…"}, likewise removeFromBlocklist and
// checkBlocked; {"action":"getBlocklist","requestId":"…","pageToken":"…","size":n}.
type ListFrame struct {
	RequestID string
	UserID    string // the user to add, remove or check; "" in getBlocklist
	PageToken string // getBlocklist: "" for the first page
	Size      int    // getBlocklist: 1..MaxBlocklistPage
}

// DecodeListFrame reads a blocklist frame of action. On a fault it still returns the requestId
// when that could be read, so the client can match the refusal to what it sent.
func DecodeListFrame(action, body string) (ListFrame, error) {
	f := ListFrame{Size: MaxBlocklistPage}
	raw, err := frameObject(body)
	if err != nil {
		return f, err
	}
	if f.RequestID, err = frameID(raw, "requestId", MaxRequestID); err != nil {
		return f, err
	}
	if action != ActionGetBlocklist {
		f.UserID, err = frameUserID(raw, "userId")
		return f, err
	}
	if f.PageToken, err = frameText(raw, "pageToken"); err != nil {
		return f, err
	}
	if v, ok := raw["size"]; ok {
		if err := json.Unmarshal(v, &f.Size); err != nil || f.Size < 1 || f.Size > MaxBlocklistPage {
			return f, apierr.Malformed("size", fmt.Sprintf("must be a whole number between 1 and %d", MaxBlocklistPage))
		}
	}
	return f, nil
}

// Result is the answer to a blocklist frame: code 200, or the code of why it was refused
// (README, "The client's own blocklist").
type Result struct {
	Type         string `json:"type"` // always "result"
	Action       string `json:"action"`
	RequestID    string `json:"requestId"`
	Code         int    `json:"code"`
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// CheckResult answers checkBlocked.
type CheckResult struct {
	Result
	Blocked bool `json:"blocked"`
}

// PageResult answers getBlocklist: newest first, next only when another page follows.
type PageResult struct {
	Result
	UserIDs []string `json:"userIds"`
	Next    string   `json:"next,omitempty"`
}

// listOp is a blocklist frame's work for the connection's user; ok is the frame's result
// header with code 200, for the answer to build on.
type listOp func(ctx context.Context, app apps.App, user string, f ListFrame, ok Result) (any, error)

// AddToBlocklist serves addToBlocklist: userId goes on the connection's user's blocklist.
func (s *Server) AddToBlocklist(ctx context.Context, ev Event) (Response, error) {
	return s.serveList(ctx, ev, ActionAddToBlocklist, func(ctx context.Context, app apps.App, user string, f ListFrame, ok Result) (any, error) {
		return ok, s.Relations.AddToList(ctx, app, relations.Blocklist, user, []string{f.UserID}, relations.ByClient)
	})
}

// RemoveFromBlocklist serves removeFromBlocklist: userId comes off the connection's user's
// blocklist.
func (s *Server) RemoveFromBlocklist(ctx context.Context, ev Event) (Response, error) {
	return s.serveList(ctx, ev, ActionRemoveFromBlocklist, func(ctx context.Context, app apps.App, user string, f ListFrame, ok Result) (any, error) {
		return ok, s.Relations.RemoveFromList(ctx, app, relations.Blocklist, user, []string{f.UserID}, relations.ByClient)
	})
}

// CheckBlocked serves checkBlocked: whether userId is on the connection's user's blocklist
// (whitelist mode is not consulted).
func (s *Server) CheckBlocked(ctx context.Context, ev Event) (Response, error) {
	return s.serveList(ctx, ev, ActionCheckBlocked, func(ctx context.Context, app apps.App, user string, f ListFrame, ok Result) (any, error) {
		blocked, err := s.Relations.Listed(ctx, app, relations.Blocklist, user, f.UserID, relations.ByClient)
		return CheckResult{ok, blocked}, err
	})
}

// GetBlocklist serves getBlocklist: one page of the connection's user's blocklist, with the
// page tokens of /user/blacklist/query.json.
func (s *Server) GetBlocklist(ctx context.Context, ev Event) (Response, error) {
	return s.serveList(ctx, ev, ActionGetBlocklist, func(ctx context.Context, app apps.App, user string, f ListFrame, ok Result) (any, error) {
		ids, next, err := s.Relations.ListPage(ctx, app, relations.Blocklist, user, f.PageToken, f.Size)
		if ids == nil {
			ids = []string{}
		}
		return PageResult{ok, ids, next}, err
	})
}

// serveList runs a blocklist frame and answers it with a result frame. Every outcome, a
// malformed frame or a failed dependency included, is a result with a code; the function itself
// never fails.
func (s *Server) serveList(ctx context.Context, ev Event, action string, op listOp) (resp Response, _ error) {
	start := time.Now()
	app, user, ok := wsconn.Identity(ev)
	res := Result{Type: "result", Action: action}
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("panic", "route", ev.RequestContext.RouteKey, "panic", fmt.Sprint(p))
			resp = wsconn.FrameResponse(res.refuse(errors.New("panic")))
		}
		s.Log.Info("request", "route", ev.RequestContext.RouteKey, "app", app,
			"awsRequestId", ev.RequestContext.RequestID, "status", resp.StatusCode, "code", res.Code,
			"ms", time.Since(start).Milliseconds())
	}()
	if !ok {
		s.Log.Error("event carries no authorizer identity", "route", ev.RequestContext.RouteKey)
		return Response{StatusCode: http.StatusUnauthorized}, nil
	}
	ctx, cancel := withAnswerMargin(ctx)
	defer cancel()
	frame, err := s.runList(ctx, ev, app, user, op, &res)
	if err != nil {
		if e := call.ToAPIError(err); e.Code == apierr.Internal || e.Code == apierr.Timeout {
			s.Log.Error("operation failed", "route", ev.RequestContext.RouteKey, "app", app, "error", err.Error())
		}
		frame = res.refuse(err)
	}
	return wsconn.FrameResponse(frame), nil
}

// runList decodes the frame into res's requestId and runs op; res's code is 200 when op ran.
func (s *Server) runList(ctx context.Context, ev Event, appKey, user string, op listOp, res *Result) (any, error) {
	body, err := frameBody(ev)
	if err != nil {
		return nil, err
	}
	f, err := DecodeListFrame(res.Action, body)
	res.RequestID = f.RequestID
	switch {
	case err != nil:
		return nil, err
	case f.UserID == user:
		return nil, apierr.Malformed("userId", "must not be the connection's own user")
	}
	app, found := s.Apps.Lookup(appKey)
	if !found {
		return nil, fmt.Errorf("app %q of the connection is not served", appKey)
	}
	res.Code = apierr.OK
	return op(ctx, app, user, f, *res)
}

// refuse turns res into the refusal of err; only API errors show their text.
func (res *Result) refuse(err error) Result {
	e := call.ToAPIError(err)
	res.Code, res.ErrorMessage = e.Code, e.Message
	return *res
}
