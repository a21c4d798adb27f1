// Package messageapi implements the Server API's direct-message operation: it reads and checks
// the call's parameters, asks the messages service, and shapes the answer, reporting each
// recipient that did not take the message.
package messageapi

import (
	"context"

	"imusers/shared/api/call"
	"imusers/shared/domain/messages"
	"imusers/shared/wire/form"
)

// API serves the message operations.
type API struct {
	Messages *messages.Service
}

// Rejection names a recipient that did not take the message, with the code of why (README,
// "Direct messages").
type Rejection struct {
	UserID string `json:"userId"`
	Code   int    `json:"code"`
}

// MessageUID is the id an accepted message got for one recipient.
type MessageUID struct {
	UserID     string `json:"userId"`
	MessageUID string `json:"messageUID"`
}

// Undelivered is an accepted message that some open connection of its recipient refused
// (throttled or unreachable): it reached Delivered of the recipient's Connections.
type Undelivered struct {
	UserID      string `json:"userId"`
	MessageUID  string `json:"messageUID"`
	Delivered   int    `json:"delivered"`
	Connections int    `json:"connections"`
}

type publishAnswer struct {
	MessageUIDs []MessageUID  `json:"messageUIDs"`
	Rejected    []Rejection   `json:"rejected,omitempty"`    // only when some recipient refused
	Undelivered []Undelivered `json:"undelivered,omitempty"` // only when some connection refused
}

// PrivatePublish: /message/private/publish.json.
func (a *API) PrivatePublish(ctx context.Context, r *call.Request) (any, error) {
	p := r.Params
	from := p.UserID("fromUserId")
	to := p.UserIDs("toUserId", messages.MaxRecipients)
	m := messages.Message{
		ObjectName: p.RequiredText("objectName", messages.MaxObjectName),
		Content:    p.Bytes("content", form.MaxBody),
	}
	verify := p.Int("verifyBlacklist", 0, 1, 0)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	results, err := a.Messages.Publish(ctx, r.App.Key, from, to, m, verify == 1)
	if err != nil {
		return nil, err
	}
	out := publishAnswer{MessageUIDs: []MessageUID{}}
	for _, res := range results {
		if res.Verdict.Allowed() {
			out.MessageUIDs = append(out.MessageUIDs, MessageUID{res.To, res.MsgID})
			if res.Undelivered() > 0 {
				out.Undelivered = append(out.Undelivered, Undelivered{res.To, res.MsgID, res.Reached, res.Live - res.Gone})
			}
		} else {
			out.Rejected = append(out.Rejected, Rejection{res.To, res.Verdict.Code})
		}
	}
	return out, nil
}
