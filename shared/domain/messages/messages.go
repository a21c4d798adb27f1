// Package messages carries direct messages from one user to another: it checks a message, asks
// the relation rules whether each recipient takes it, and hands an accepted message to every
// open connection of the recipient at once. The facts the rules need and the recipient's
// connections come from one batched read.
//
// The service keeps no message history: a message is delivered to the connections open when it
// is sent, at most once, and a recipient with none open simply does not get it (the send is
// still accepted, as the rules allowed it).
package messages

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
	"imusers/shared/parallel"
	"imusers/shared/store"
	"imusers/shared/wire/apierr"
)

// Limits of a message (README, "Direct messages").
const (
	// MaxObjectName is the longest objectName, in characters.
	MaxObjectName = 32
	// MaxContent is the longest content, in bytes. A delivery frame carries the content as a
	// JSON string, where escaping at most doubles it; so that every frame of an accepted
	// message fits API Gateway's 128 KiB frame (and PostToConnection) limit, content stays
	// under half of it with room for the frame's other fields.
	MaxContent = 60 << 10
	// MaxContentDepth is how deeply content's objects and arrays may nest.
	MaxContentDepth = 32
	// MaxFrame is API Gateway's limit for a WebSocket message and a PostToConnection payload,
	// which API Gateway hands to the client in frames of at most 32 KiB.
	MaxFrame = 128 << 10
	// MaxClientFrame is API Gateway's limit for one WebSocket frame a client sends: a client's
	// message must fit one, or API Gateway closes the connection.
	MaxClientFrame = 32 << 10
	// MaxRecipients is how many users one publish may address.
	MaxRecipients = 1000
)

// Message is what a sender sends: its type (e.g. RC:TxtMsg) and its content, a JSON object
// passed to the recipient as the string it arrived as.
type Message struct {
	ObjectName string
	Content    string
}

// Check refuses a message the recipient could not be given, naming the field at fault with
// the parameter's own name (the Server API's and the frame's are the same).
func (m Message) Check() error {
	switch n := utf8.RuneCountInString(m.ObjectName); {
	case m.ObjectName == "":
		return apierr.Missing("objectName")
	case n > MaxObjectName:
		return apierr.TooLongParam("objectName", MaxObjectName)
	case strings.IndexFunc(m.ObjectName, unicode.IsControl) >= 0:
		return apierr.Malformed("objectName", "must not contain control characters")
	}
	return CheckContent(m.Content)
}

// CheckContent accepts a JSON object of at most MaxContent bytes nested at most
// MaxContentDepth deep.
func CheckContent(c string) error {
	switch {
	case c == "":
		return apierr.Missing("content")
	case len(c) > MaxContent:
		return apierr.TooLongParam("content", MaxContent)
	case !utf8.ValidString(c):
		// JSON encoders turn each stray byte into a six-byte escape, past the frame's room.
		return apierr.Malformed("content", "not valid UTF-8")
	case !json.Valid([]byte(c)):
		return apierr.Malformed("content", "must be a JSON object")
	case strings.TrimLeft(c, " \t\r\n")[0] != '{':
		return apierr.Malformed("content", "must be a JSON object")
	case depth(c) > MaxContentDepth:
		return apierr.Malformed("content", fmt.Sprintf("nests deeper than %d levels", MaxContentDepth))
	}
	return nil
}

// depth is how deeply valid JSON nests its objects and arrays.
func depth(c string) int {
	deepest, d := 0, 0
	inString, escaped := false, false
	for i := 0; i < len(c); i++ {
		switch b := c[i]; {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			d++
			deepest = max(deepest, d)
		case b == '}' || b == ']':
			d--
		}
	}
	return deepest
}

// Frame is what a recipient's connections receive for each message.
type Frame struct {
	Type       string `json:"type"` // always "message"
	MsgID      string `json:"msgId"`
	FromUserID string `json:"fromUserId"`
	ObjectName string `json:"objectName"`
	Content    string `json:"content"`
	SentTime   int64  `json:"sentTime"` // ms since the epoch, when the service accepted it
}

// encode writes a frame without HTML escaping, which would grow '<', '>' and '&' sixfold and
// break the size bound MaxContent is chosen for.
func (f Frame) encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// NewMsgID returns a fresh message id: 80 random bits shaped like the platform's message UIDs
// (four groups of four base32 characters).
func NewMsgID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	s := base32.StdEncoding.EncodeToString(b[:])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// Deliverer hands a frame to one client connection, at most once (users.Connections, the
// Management API, is one). A connection that is already closed answers an error matching
// users.ErrGone.
type Deliverer interface {
	Post(ctx context.Context, connID string, frame []byte) error
}

// parallelism bounds the frames one request posts at once: enough that a publish to many
// recipients finishes well inside the function's time, few enough not to flood the endpoint.
const parallelism = 32

// Service sends direct messages.
type Service struct {
	Store *store.Store
	// Conns reaches client connections; nil when no management endpoint is configured, and
	// then a message to an online recipient fails rather than vanishing unnoticed.
	Conns Deliverer
	Now   func() time.Time
	Log   *slog.Logger
	// SettingsMaxAge is how long the app's settings a send read serve the next sends of this
	// instance (IM_SETTINGS_MAX_AGE_SECONDS); 0 reads them with every message.
	SettingsMaxAge time.Duration
	settings       settingsCache
}

// Result is what became of a message to one recipient.
type Result struct {
	To      string
	Verdict relations.Verdict
	MsgID   string // set when accepted
	// Live counts the recipient's open connections the message was posted to, Reached those
	// that took it and Gone those found closed meanwhile; the rest refused it (throttled after
	// the client's retries, unreachable).
	Live, Reached, Gone int
}

// PartlyDelivered is the code of an accepted message that some open connection of the
// recipient refused: the message has its id and reached Reached of them.
const PartlyDelivered = 206

// Undelivered counts the open connections that did not take the message.
func (r Result) Undelivered() int { return r.Live - r.Reached - r.Gone }

// Send sends a message from a user's own connection: every rule applies. The facts, the
// recipient's connections included, are one BatchGetItem.
func (s *Service) Send(ctx context.Context, app, from, to string, m Message) (Result, error) {
	res, err := s.send(ctx, app, from, []string{to}, m, relations.FromClient)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// Publish sends a message from the App Server on behalf of from to each of to (at most
// MaxRecipients). With verify false the recipients' blocklists and whitelists are bypassed;
// with verify true they apply. The friends-only setting and the sender's ban concern the
// user's own client and do not apply here. The sender must exist and be active; recipients
// that do not take the message are reported in the results, in the order given.
func (s *Service) Publish(ctx context.Context, app, from string, to []string, m Message, verify bool) ([]Result, error) {
	via := relations.FromServer
	if verify {
		via = relations.FromServerVerified
	}
	return s.send(ctx, app, from, to, m, via)
}

// delivery is one frame for one connection.
type delivery struct {
	result *Result
	user   string
	conn   string
	frame  []byte
}

func (s *Service) send(ctx context.Context, app, from string, to []string, m Message, via relations.Via) ([]Result, error) {
	read := relations.Reads(via)
	read.Presence = true
	if via != relations.FromClient {
		read.Sender = true // the server's sender must exist and be active
	}
	now := s.Now()
	cached, fresh := s.settings.Get(app, now, s.SettingsMaxAge)
	read.Settings = read.Settings && !fresh
	facts, err := s.Store.ReadSendFacts(ctx, app, from, to, read)
	if err != nil {
		return nil, err
	}
	s.settings.apply(app, facts, read.Settings, fresh, cached, now)
	if via != relations.FromClient && len(to) > 0 {
		switch sender := facts[to[0]].Sender; {
		case sender == nil:
			return nil, fmt.Errorf("%w: %s", users.ErrUnknownUser, from)
		case sender.Deactivated():
			return nil, fmt.Errorf("%w: %s", users.ErrDeactivated, from)
		}
	}
	results := make([]Result, len(to))
	var work []delivery
	for i, r := range to {
		f := facts[r]
		results[i] = Result{To: r, Verdict: relations.Decide(f, via, now)}
		if !results[i].Verdict.Allowed() {
			continue
		}
		results[i].MsgID = NewMsgID()
		live := store.Live(f.Conns, now.UnixMilli())
		if len(live) == 0 {
			continue
		}
		frame, err := Frame{Type: "message", MsgID: results[i].MsgID, FromUserID: from,
			ObjectName: m.ObjectName, Content: m.Content, SentTime: now.UnixMilli()}.encode()
		if err != nil {
			return nil, err
		}
		if len(frame) > MaxFrame {
			// Check keeps content well under the limit; this guards the arithmetic.
			return nil, fmt.Errorf("delivery frame of %d bytes exceeds %d", len(frame), MaxFrame)
		}
		results[i].Live = len(live)
		for _, c := range live {
			work = append(work, delivery{result: &results[i], user: r, conn: c.ID, frame: frame})
		}
	}
	if len(work) > 0 && s.Conns == nil {
		return nil, errors.New("deliver messages: no connection management endpoint is configured")
	}
	s.deliver(ctx, app, work)
	return results, nil
}

// deliver posts every frame at once (up to parallelism at a time). A connection that is gone
// (closed without its $disconnect having run yet, or lost) is skipped and forgotten, one write
// each; other failures are logged and counted in the result, which the sender is told: the
// message was accepted, and the service keeps no copy to send again.
func (s *Service) deliver(ctx context.Context, app string, work []delivery) {
	var mu sync.Mutex
	parallel.Do(ctx, len(work), parallelism, func(ctx context.Context, i int) error {
		d := work[i]
		err := s.Conns.Post(ctx, d.conn, d.frame)
		switch {
		case err == nil:
			mu.Lock()
			d.result.Reached++
			mu.Unlock()
		case errors.Is(err, users.ErrGone):
			mu.Lock()
			d.result.Gone++
			mu.Unlock()
			if err := s.Store.Disconnect(ctx, app, d.user, d.conn); err != nil {
				s.Log.Warn("forgetting a gone connection failed", "app", app, "error", err.Error())
			}
		default:
			s.Log.Warn("message not delivered to a connection", "app", app, "msgId", d.result.MsgID, "error", err.Error())
		}
		return nil
	})
}
