package call

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
	"imusers/shared/wire/apierr"
)

type netTimeout struct{}

func (netTimeout) Error() string   { return "i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

// Each domain error keeps its message under its contract code, wrapped or not; anything else
// is a bare 1000, or 1050 when a dependency ran out of time.
func TestToAPIError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{apierr.Missing("userId"), apierr.BadParam, "userId is required"},
		{fmt.Errorf("%w: u1", users.ErrUnknownUser), apierr.UnknownUser, "user does not exist: u1"},
		{fmt.Errorf("%w: u2", users.ErrDeactivated), apierr.UserDeactivated, "user is deactivated: u2"},
		{users.ErrBlocked, apierr.UserBlocked, users.ErrBlocked.Error()},
		{users.ErrCapReached, apierr.DevUserCap, users.ErrCapReached.Error()},
		{users.ErrDevOnly, apierr.NotAllowed, users.ErrDevOnly.Error()},
		{users.ErrBadToken, apierr.BadToken, users.ErrBadToken.Error()},
		{relations.ErrListFull, apierr.ListFull, relations.ErrListFull.Error()},
		{relations.ErrNoFriendAdds, apierr.FriendAddRefused, relations.ErrNoFriendAdds.Error()},
		{relations.ErrNeedsApproval, apierr.FriendNeedsApproval, relations.ErrNeedsApproval.Error()},
		{fmt.Errorf("check: %w", relations.ErrNotFriends), apierr.NotFriends, "check: the users are not friends"},
		{relations.ErrBadPageToken, apierr.BadParam, relations.ErrBadPageToken.Error()},
		{fmt.Errorf("get: %w", context.DeadlineExceeded), apierr.Timeout, "a dependency did not answer in time"},
		{fmt.Errorf("send: %w", netTimeout{}), apierr.Timeout, "a dependency did not answer in time"},
		{errors.New("dial tcp 10.0.0.1:443: refused"), apierr.Internal, "internal error"},
		{context.Canceled, apierr.Internal, "internal error"},
	} {
		got := ToAPIError(tc.err)
		if got.Code != tc.code || got.Status != apierr.StatusOf(tc.code) || got.Message != tc.msg {
			t.Errorf("ToAPIError(%q) = %d/%d %q; want %d/%d %q", tc.err, got.Code, got.Status, got.Message,
				tc.code, apierr.StatusOf(tc.code), tc.msg)
		}
	}
}

// ResultShape is what a form's answer writes for its operation's zero answer, and nothing for a
// form without a result; a real answer of another type is still refused.
func TestResultShape(t *testing.T) {
	type page struct{ Users []string }
	f := &V4Form{Answer: Answer(func(p page) any { return struct{ N int }{len(p.Users) + 7} })}
	shape, err := ResultShape(f)
	if got, ok := shape.(struct{ N int }); err != nil || !ok || got.N != 7 {
		t.Fatalf("ResultShape = %#v, %v", shape, err)
	}
	if shape, err := ResultShape(&V4Form{}); shape != nil || err != nil {
		t.Fatalf("ResultShape of a form without a result = %#v, %v", shape, err)
	}
	if _, err := f.Answer("not a page"); err == nil {
		t.Fatal("an answer of another type was taken")
	}
}
