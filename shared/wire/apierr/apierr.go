// Package apierr is the one table of the API's error codes: what each means, the HTTP status it
// travels with, and the constructors handlers use so that every error body looks the same.
package apierr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// Codes of the wire contract, plus the ones this service defines (3xxx).
const (
	OK              = 200
	OKv4            = 0 // success in the v4 API
	Internal        = 1000
	AppKeyMismatch  = 1001
	BadParam        = 1002
	BadSignature    = 1004
	TooLong         = 1005
	NotAllowed      = 1007
	RateLimited     = 1008
	Timeout         = 1050
	DevUserCap      = 2007
	UnknownUser     = 3001
	UserDeactivated = 3002
	UserBlocked     = 3003
	BadToken        = 3004
	// Relations (blocklist, whitelist, friends) and direct messages.
	ListFull            = 3005
	FriendAddRefused    = 3006
	FriendNeedsApproval = 3007
	NotFriends          = 3008
	SenderNotAllowed    = 3009
	RestoreTooEarly     = 3010 // v4 restore within an hour of the soft delete
	BodyTooLarge        = 1005 // same code as TooLong; travels with HTTP 413
)

// Table holds every code with its HTTP status and a one-line meaning; the README's error table
// is written from it and a test keeps the two equal.
var Table = []struct {
	Code    int
	Status  int
	Meaning string
}{
	{OK, http.StatusOK, "success"},
	{Internal, http.StatusInternalServerError, "internal error"},
	{AppKeyMismatch, http.StatusUnauthorized, "unknown App-Key"},
	{BadParam, http.StatusBadRequest, "parameter missing or malformed (the message names it; HTTP 404 for a path of no operation, 415 for a v4 body that is not JSON)"},
	{BadSignature, http.StatusUnauthorized, "signature check failed, or timestamp outside the window"},
	{TooLong, http.StatusBadRequest, "parameter too long or too many items (HTTP 413 for a body over 512 KiB)"},
	{NotAllowed, http.StatusUnauthorized, "call not allowed for this app's environment"},
	{RateLimited, http.StatusTooManyRequests, "rate limit exceeded"},
	{Timeout, http.StatusGatewayTimeout, "dependency timeout"},
	{DevUserCap, http.StatusForbidden, "development app: 100 registered users reached"},
	{UnknownUser, http.StatusNotFound, "user does not exist"},
	{UserDeactivated, http.StatusForbidden, "user is deactivated"},
	{UserBlocked, http.StatusForbidden, "user is blocked (banned)"},
	{BadToken, http.StatusUnauthorized, "token invalid, expired or issued by another app"},
	{ListFull, http.StatusForbidden, "the blocklist or whitelist would hold more than 3000 users; nothing was added"},
	{FriendAddRefused, http.StatusForbidden, "the target accepts no friend requests (permission type 3)"},
	{FriendNeedsApproval, http.StatusForbidden, "the target accepts friend requests only with approval (permission type 2); nothing was stored"},
	{NotFriends, http.StatusForbidden, "the users are not friends"},
	{SenderNotAllowed, http.StatusForbidden, "the sender of a direct message, or the user of a connection's blocklist frame, is deactivated or does not exist"},
	{RestoreTooEarly, http.StatusForbidden, "v4 restore refused: the user was soft-deleted (deactivated) less than an hour ago; nobody was restored"},
}

// Error is an API error: a code from Table and a message safe to show to the caller.
type Error struct {
	Code    int
	Status  int
	Message string
	// Param is the parameter the message starts with, when it names one, so that an adapter
	// whose wire calls the parameter otherwise can say it its own way (Rename).
	Param string
	// ProfileKey names the hosted-profile key at fault, for the profile calls' answers.
	ProfileKey string
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Body is the error's JSON body as the contract gives it: {"code":…,"errorMessage":"…"}, with
// "profileKey":"…" when a hosted-profile key is at fault.
func (e *Error) Body() []byte {
	body, _ := json.Marshal(struct {
		Code       int    `json:"code"`
		Message    string `json:"errorMessage"`
		ProfileKey string `json:"profileKey,omitempty"`
	}{e.Code, e.Message, e.ProfileKey})
	return body
}

// New builds an error with the HTTP status that Table gives its code.
func New(code int, format string, args ...any) *Error {
	return &Error{Code: code, Status: StatusOf(code), Message: fmt.Sprintf(format, args...)}
}

// StatusOf is the HTTP status a code travels with (500 for a code not in the table).
func StatusOf(code int) int {
	for _, row := range Table {
		if row.Code == code {
			return row.Status
		}
	}
	return http.StatusInternalServerError
}

// Missing, Malformed and TooMany name the parameter at fault, as the contract asks.
func Missing(param string) *Error { return about(param, New(BadParam, "%s is required", param)) }

func Malformed(param, why string) *Error {
	return about(param, New(BadParam, "%s is malformed: %s", param, why))
}

func TooMany(param string, max int) *Error {
	return about(param, New(TooLong, "%s takes at most %d items", param, max))
}

func TooLongParam(param string, max int) *Error {
	return about(param, New(TooLong, "%s is longer than %d", param, max))
}

func about(param string, e *Error) *Error {
	e.Param = param
	return e
}

// Rename is e naming its parameter as name instead (e itself when it names none or is nil).
func (e *Error) Rename(name string) *Error {
	if e == nil || e.Param == "" {
		return e
	}
	out := *e
	out.Message = name + strings.TrimPrefix(e.Message, e.Param)
	out.Param = name
	return &out
}

// As returns the API error inside err, if there is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// From gives err its contract code when nothing else is known of it: an API error keeps its
// own; a dependency that did not answer in time is 1050; anything else is a bare 1000, whose
// message repeats nothing of err (which may name tables, functions or hosts).
func From(err error) *Error {
	if e, ok := As(err); ok {
		return e
	}
	if isTimeout(err) {
		return New(Timeout, "a dependency did not answer in time")
	}
	return New(Internal, "internal error")
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
