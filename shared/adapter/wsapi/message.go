package wsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"imusers/shared/adapter/wsconn"
	"imusers/shared/api/call"
	"imusers/shared/domain/messages"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
)

// MaxClientMsgID is the longest clientMsgId a frame may carry, in bytes.
const MaxClientMsgID = 128

// SendFrame is a client's sendMessage frame:
// {"action":"sendMessage","toUserId":"…","objectName":"…","content":"…","clientMsgId":"…"}.
type SendFrame struct {
	ToUserID    string
	ObjectName  string
	Content     string
	ClientMsgID string
}

// Ack is the sender's answer to a sendMessage frame: code 200 with the message's id, or the
// code of why it was refused (README, "Direct messages").
type Ack struct {
	Type         string `json:"type"` // always "ack"
	ClientMsgID  string `json:"clientMsgId"`
	Code         int    `json:"code"`
	MsgID        string `json:"msgId,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	// Delivered and Connections (code 206): the recipient's open connections that took the
	// message, of all it had.
	Delivered   int `json:"delivered,omitempty"`
	Connections int `json:"connections,omitempty"`
}

// DecodeSend reads a sendMessage frame. On a fault it still returns the clientMsgId when that
// could be read, so the sender can match the refusal to what it sent.
func DecodeSend(body string) (SendFrame, error) {
	var f SendFrame
	if len(body) > messages.MaxFrame {
		return f, apierr.New(apierr.TooLong, "frame is larger than %d bytes", messages.MaxFrame)
	}
	raw, err := frameObject(body)
	if err != nil {
		return f, err
	}
	if f.ClientMsgID, err = frameID(raw, "clientMsgId", MaxClientMsgID); err != nil {
		return f, err
	}
	if len(body) > messages.MaxClientFrame {
		return f, apierr.New(apierr.TooLong, "frame of %d bytes is over %d, API Gateway's limit for a WebSocket frame", len(body), messages.MaxClientFrame)
	}
	if f.ToUserID, err = frameUserID(raw, "toUserId"); err != nil {
		return f, err
	}
	if f.ObjectName, err = frameText(raw, "objectName"); err != nil {
		return f, err
	}
	if f.Content, err = frameText(raw, "content"); err != nil {
		return f, err
	}
	return f, messages.Message{ObjectName: f.ObjectName, Content: f.Content}.Check()
}

// frameObject reads a frame's fields.
func frameObject(body string) (map[string]json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil || raw == nil {
		return nil, apierr.New(apierr.BadParam, "frame is not a JSON object")
	}
	return raw, nil
}

// frameText reads an optional string field of a frame ("" when absent or null).
func frameText(raw map[string]json.RawMessage, name string) (string, error) {
	v, ok := raw[name]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", apierr.Malformed(name, "must be a string")
	}
	return s, nil
}

// frameID reads the optional id a client gives a frame to match its answer, of at most max
// bytes; "" when it is missing or cannot be echoed.
func frameID(raw map[string]json.RawMessage, name string, max int) (string, error) {
	id, err := frameText(raw, name)
	switch {
	case err != nil:
		return "", err
	case len(id) > max:
		return "", apierr.TooLongParam(name, max)
	}
	return id, nil
}

// frameUserID reads a required userId field of a frame.
func frameUserID(raw map[string]json.RawMessage, name string) (string, error) {
	id, err := frameText(raw, name)
	switch {
	case err != nil:
		return "", err
	case id == "":
		return "", apierr.Missing(name)
	case len(id) > form.MaxUserID:
		return "", apierr.TooLongParam(name, form.MaxUserID)
	case !form.ValidUserID(id):
		return "", apierr.Malformed(name, "only letters, digits, '_', '=', '+' and '-' are allowed")
	}
	return id, nil
}

// SendMessage serves the sendMessage route: it sends one direct message from the connection's
// user and answers the sender with an ack frame (the route is two-way, so the answer needs no
// Management API call), and counts the frame as the client's activity, as a ping does. Every
// outcome, a malformed frame or a failed dependency included, is an ack with a code; the
// function itself never fails.
func (s *Server) SendMessage(ctx context.Context, ev Event) (resp Response, _ error) {
	start := time.Now()
	app, user, ok := wsconn.Identity(ev)
	var ack Ack
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("panic", "route", ev.RequestContext.RouteKey, "panic", fmt.Sprint(p))
			ack.Code, ack.MsgID, ack.ErrorMessage = apierr.Internal, "", "internal error"
			resp = wsconn.FrameResponse(ack)
		}
		s.Log.Info("request", "route", ev.RequestContext.RouteKey, "app", app,
			"awsRequestId", ev.RequestContext.RequestID, "status", resp.StatusCode, "code", ack.Code,
			"msgId", ack.MsgID, "ms", time.Since(start).Milliseconds())
	}()
	if !ok {
		s.Log.Error("event carries no authorizer identity", "route", ev.RequestContext.RouteKey)
		return Response{StatusCode: http.StatusUnauthorized}, nil
	}
	ctx, cancel := withAnswerMargin(ctx)
	defer cancel()
	ack = s.sendMessage(ctx, app, user, ev)
	// A message is the client's activity too: its connection stays online without pings.
	if err := s.heard(ctx, app, user, ev); err != nil {
		s.Log.Error("activity not recorded", "route", ev.RequestContext.RouteKey, "app", app, "error", err.Error())
	}
	return wsconn.FrameResponse(ack), nil
}

// answerMargin is kept back from the invocation's deadline so that a slow dependency still
// gets the sender an answer frame (1050) rather than API Gateway's bare error.
const answerMargin = 500 * time.Millisecond

func withAnswerMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, deadline.Add(-answerMargin))
	}
	return ctx, func() {}
}

// frameBody is the frame the client sent, as text (API Gateway hands a binary frame over in
// base64).
func frameBody(ev Event) (string, error) {
	if !ev.IsBase64Encoded {
		return ev.Body, nil
	}
	b, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return "", apierr.New(apierr.BadParam, "frame is not valid base64")
	}
	return string(b), nil
}

func (s *Server) sendMessage(ctx context.Context, app, user string, ev Event) Ack {
	body, err := frameBody(ev)
	if err != nil {
		return refusal("", err)
	}
	f, err := DecodeSend(body)
	if err != nil {
		return refusal(f.ClientMsgID, err)
	}
	res, err := s.Messages.Send(ctx, app, user, f.ToUserID, messages.Message{ObjectName: f.ObjectName, Content: f.Content})
	if err != nil {
		e := call.ToAPIError(err)
		if e.Code == apierr.Internal || e.Code == apierr.Timeout {
			s.Log.Error("operation failed", "route", ev.RequestContext.RouteKey, "app", app, "error", err.Error())
		}
		return refusal(f.ClientMsgID, e)
	}
	if !res.Verdict.Allowed() {
		return Ack{Type: "ack", ClientMsgID: f.ClientMsgID, Code: res.Verdict.Code, ErrorMessage: res.Verdict.Reason}
	}
	if n := res.Undelivered(); n > 0 {
		return Ack{Type: "ack", ClientMsgID: f.ClientMsgID, Code: messages.PartlyDelivered, MsgID: res.MsgID,
			Delivered: res.Reached, Connections: res.Live - res.Gone,
			ErrorMessage: fmt.Sprintf("delivered to %d of the recipient's %d open connections; %d refused it (throttled or unreachable)", res.Reached, res.Live-res.Gone, n)}
	}
	return Ack{Type: "ack", ClientMsgID: f.ClientMsgID, Code: apierr.OK, MsgID: res.MsgID}
}

// refusal is the ack of a frame that was not sent; only API errors show their text.
func refusal(clientMsgID string, err error) Ack {
	e := call.ToAPIError(err)
	return Ack{Type: "ack", ClientMsgID: clientMsgID, Code: e.Code, ErrorMessage: e.Message}
}
