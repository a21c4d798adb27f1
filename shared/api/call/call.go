// Package call is what every Server API operation shares, whichever adapter runs it: the
// request an operation sees, the shape of an operation, and the one mapping of the domain's
// errors to the contract's codes.
package call

import (
	"context"
	"errors"

	"imusers/shared/apps"
	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
)

// Request is what an operation sees: the authenticated app, its parameters, and the API it
// came through, for the few rules the two APIs' contracts set apart.
type Request struct {
	App    apps.App
	Params *form.Reader
	Wire   Wire
	// JSON is the body of a request sent as application/json (Params then holds nothing), for
	// the operations that take JSON bodies; nil for a form body.
	JSON []byte
}

// Wire is an API of the Server API's two: v1 (form bodies) and v4 (JSON bodies).
type Wire int

const (
	V1 Wire = iota
	V4
)

// Handler runs one operation. Its result is a JSON object that goes out with "code":200 added;
// nil means no other field.
type Handler func(ctx context.Context, r *Request) (any, error)

// ToAPIError gives every error its contract code. Only domain and API errors keep their
// message; anything else (a DynamoDB fault, say) becomes a bare 1000 or 1050.
func ToAPIError(err error) *apierr.Error {
	if e, ok := apierr.As(err); ok {
		return e
	}
	for _, m := range []struct {
		err  error
		code int
	}{
		{users.ErrUnknownUser, apierr.UnknownUser},
		{users.ErrDeactivated, apierr.UserDeactivated},
		{users.ErrBlocked, apierr.UserBlocked},
		{users.ErrCapReached, apierr.DevUserCap},
		{users.ErrDevOnly, apierr.NotAllowed},
		{users.ErrTooEarly, apierr.RestoreTooEarly},
		{users.ErrBadToken, apierr.BadToken},
		{relations.ErrListFull, apierr.ListFull},
		{relations.ErrNoFriendAdds, apierr.FriendAddRefused},
		{relations.ErrNeedsApproval, apierr.FriendNeedsApproval},
		{relations.ErrNotFriends, apierr.NotFriends},
		{relations.ErrBadPageToken, apierr.BadParam},
		{relations.ErrOwnerGone, apierr.SenderNotAllowed},
	} {
		if errors.Is(err, m.err) {
			return apierr.New(m.code, "%s", err.Error())
		}
	}
	return apierr.From(err)
}
