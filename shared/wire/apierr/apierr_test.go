package apierr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// The contract's table (server-api.md §1) written out a second time on purpose: a change to
// Table that breaks the wire contract must fail here rather than pass silently.
var contract = map[int]int{
	200:  http.StatusOK,
	1000: http.StatusInternalServerError,
	1001: http.StatusUnauthorized,
	1002: http.StatusBadRequest,
	1004: http.StatusUnauthorized,
	1005: http.StatusBadRequest,
	1007: http.StatusUnauthorized,
	1008: http.StatusTooManyRequests,
	1050: http.StatusGatewayTimeout,
	2007: http.StatusForbidden,
}

func TestTableMatchesContract(t *testing.T) {
	inTable := map[int]bool{}
	for _, row := range Table {
		if inTable[row.Code] {
			t.Errorf("code %d appears twice in Table", row.Code)
		}
		inTable[row.Code] = true
		if want, ok := contract[row.Code]; ok && row.Status != want {
			t.Errorf("code %d travels with %d, contract says %d", row.Code, row.Status, want)
		}
		if row.Meaning == "" {
			t.Errorf("code %d has no meaning", row.Code)
		}
		if http.StatusText(row.Status) == "" {
			t.Errorf("code %d has a status %d that is not an HTTP status", row.Code, row.Status)
		}
		if got := StatusOf(row.Code); got != row.Status {
			t.Errorf("StatusOf(%d) = %d, Table says %d", row.Code, got, row.Status)
		}
	}
	for code := range contract {
		if !inTable[code] {
			t.Errorf("contract code %d is missing from Table", code)
		}
	}
}

// The service's own codes must not collide with the platform's ranges an App Server already
// interprets, and must not ride on a 2xx status (an SDK would read them as success).
func TestOwnCodesAreErrors(t *testing.T) {
	for _, row := range Table {
		if _, ok := contract[row.Code]; ok {
			continue
		}
		if row.Code < 3000 || row.Code > 3999 {
			t.Errorf("service code %d is outside 3xxx", row.Code)
		}
		if row.Status < 400 {
			t.Errorf("service code %d travels with non-error status %d", row.Code, row.Status)
		}
	}
}

func TestStatusOfUnknownCodeIs500(t *testing.T) {
	for _, code := range []int{0, -1, 999, 1003, 9999} {
		if got := StatusOf(code); got != http.StatusInternalServerError {
			t.Errorf("StatusOf(%d) = %d, want 500", code, got)
		}
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name       string
		err        *Error
		code       int
		status     int
		msgHas     []string
		msgHasNone []string
	}{
		{"Missing", Missing("userId"), BadParam, 400, []string{"userId", "required"}, nil},
		{"Malformed", Malformed("time", "not an integer"), BadParam, 400, []string{"time", "not an integer"}, nil},
		{"TooMany", TooMany("userId", 20), TooLong, 400, []string{"userId", "20"}, nil},
		{"TooLongParam", TooLongParam("name", 64), TooLong, 400, []string{"name", "64"}, nil},
		{"New formats", New(NotAllowed, "only %s apps", "development"), NotAllowed, 401, []string{"only development apps"}, nil},
		// A message that is a format string must not be re-interpreted.
		{"New verbatim", New(Internal, "%s", "100%d done"), Internal, 500, []string{"100%d done"}, []string{"%!"}},
		{"Timeout", New(Timeout, "slow"), Timeout, 504, []string{"slow"}, nil},
		{"RateLimited", New(RateLimited, "slow down"), RateLimited, 429, nil, nil},
		{"DevUserCap", New(DevUserCap, "cap"), DevUserCap, 403, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err.Code != tc.code || tc.err.Status != tc.status {
				t.Fatalf("got code %d status %d, want %d %d", tc.err.Code, tc.err.Status, tc.code, tc.status)
			}
			for _, s := range tc.msgHas {
				if !strings.Contains(tc.err.Message, s) {
					t.Errorf("message %q does not contain %q", tc.err.Message, s)
				}
			}
			for _, s := range tc.msgHasNone {
				if strings.Contains(tc.err.Message, s) {
					t.Errorf("message %q contains %q", tc.err.Message, s)
				}
			}
			if got := tc.err.Error(); !strings.HasPrefix(got, fmt.Sprint(tc.code)+": ") {
				t.Errorf("Error() = %q, want it to start with the code", got)
			}
		})
	}
}

func TestAsFindsWrappedError(t *testing.T) {
	inner := Missing("userId")
	wrapped := fmt.Errorf("handler: %w", inner)
	e, ok := As(wrapped)
	if !ok || e != inner {
		t.Fatalf("As(wrapped) = %v, %v; want the inner error", e, ok)
	}
	if _, ok := As(errors.New("plain")); ok {
		t.Fatal("As found an API error in a plain error")
	}
	if _, ok := As(nil); ok {
		t.Fatal("As found an API error in nil")
	}
}

// The contract gives an oversize body the same code as a too-long parameter; only the status
// differs, and that status is set by whoever refuses the body, not by the table.
func TestBodyTooLargeSharesTooLongCode(t *testing.T) {
	if BodyTooLarge != 1005 || TooLong != 1005 {
		t.Fatalf("BodyTooLarge = %d, TooLong = %d; the contract says 1005 for both", BodyTooLarge, TooLong)
	}
}

func TestBodyIsTheContractsErrorBody(t *testing.T) {
	got := string(New(UnknownUser, `user "a<b" does not exist`).Body())
	if want := `{"code":3001,"errorMessage":"user \"a\u003cb\" does not exist"}`; got != want {
		t.Errorf("Body() = %s, want %s", got, want)
	}
}

// An API error keeps its code and message; anything else says nothing of itself: 1050 when a
// dependency ran out of time, 1000 otherwise.
func TestFrom(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{fmt.Errorf("parse: %w", Missing("userId")), BadParam, "userId is required"},
		{fmt.Errorf("get arn:aws:dynamodb:table/t: %w", context.DeadlineExceeded), Timeout, "a dependency did not answer in time"},
		{fmt.Errorf("invoke: %w", &net.DNSError{Err: "i/o timeout", Name: "lambda.internal", IsTimeout: true}), Timeout, "a dependency did not answer in time"},
		{errors.New("dial tcp 10.0.0.1:443: refused"), Internal, "internal error"},
		{context.Canceled, Internal, "internal error"},
	} {
		got := From(tc.err)
		if got.Code != tc.code || got.Status != StatusOf(tc.code) || got.Message != tc.msg {
			t.Errorf("From(%q) = %d/%d %q; want %d/%d %q", tc.err, got.Code, got.Status, got.Message,
				tc.code, StatusOf(tc.code), tc.msg)
		}
	}
}
