package webhooks

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// Event is one thing that happened to a user, as the App Server learns it. Its ID stays the
// same through every retry, so receivers deduplicate on it.
type Event struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Time int64  `json:"time"` // ms since the epoch, when it happened
	Data Data   `json:"data"`
}

// Data is the nexconn envelope's data[0]; each event type fills its own fields and the empty
// ones are left out, as the platform does.
type Data struct {
	UserID        string `json:"userId,omitempty"`
	Status        string `json:"status,omitempty"` // connection: "0" connected, "1" disconnected
	OS            string `json:"os,omitempty"`
	ClientIP      string `json:"clientIp,omitempty"`
	SessionID     string `json:"sessionId,omitempty"`
	OperateID     string `json:"operateId,omitempty"`
	OperationType *int   `json:"operationType,omitempty"` // activation: 0 deactivated, 1 reactivated; profile: 0 cleared, 1 modified
	Code          string `json:"code,omitempty"`
	Minute        int64  `json:"minute,omitempty"`
	EndTime       int64  `json:"endTime,omitempty"`
	Reason        string `json:"reason,omitempty"`
	// A hosted profile's change: who changed (the user), and, when modified, the profile's
	// basic fields and its ext pairs as they now are.
	OperatorID   string            `json:"operatorId,omitempty"`
	UserProfile  map[string]any    `json:"userProfile,omitempty"`
	UserMetaData map[string]string `json:"userMetaData,omitempty"`
	Time         int64             `json:"time"`
}

// NewID makes an event id: 128 random bits in hex.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand never fails on the platforms Go supports
	return hex.EncodeToString(b)
}

// New makes an event of type typ about data.UserID, happening at data.Time.
func New(typ string, data Data) Event {
	return Event{ID: NewID(), Type: typ, Time: data.Time, Data: data}
}

// Body is the request body of an event in a format, with its content type.
func Body(format string, ev Event) (body []byte, contentType string, err error) {
	if ev.Type == Test {
		// The same envelope in both formats: the platform has no test callback to copy.
		b, err := json.Marshal(envelope{Type: ev.Type, ID: ev.ID, Time: ev.Time, Data: []testData{{Message: "test"}}})
		return b, "application/json", err
	}
	if format == FormatNexconn {
		b, err := json.Marshal(envelope{Type: ev.Type, ID: ev.ID, Time: ev.Time, Data: []Data{ev.Data}})
		return b, "application/json", err
	}
	switch ev.Type {
	case ConnectionStatus:
		// The platform's online-status callback: a JSON array, here of one event.
		b, err := json.Marshal([]onlineStatus{{UserID: ev.Data.UserID, Status: ev.Data.Status, OS: ev.Data.OS,
			Time: ev.Data.Time, ClientIP: ev.Data.ClientIP, SessionID: ev.Data.SessionID}})
		return b, "application/json", err
	case ActivationState:
		return []byte(activationForm(ev.Data)), "application/x-www-form-urlencoded", nil
	case ProfileUpdate:
		// The platform's hosted-profile sync callback: one JSON object.
		d := ev.Data
		typ := 0
		if d.OperationType != nil {
			typ = *d.OperationType
		}
		b, err := json.Marshal(profileSync{UserID: d.OperatorID, Type: typ, Time: d.Time, UserProfile: d.UserProfile, UserExtProfile: d.UserMetaData})
		return b, "application/json", err
	}
	return nil, "", fmt.Errorf("the %s format carries no %s events", format, ev.Type)
}

type envelope struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Time int64  `json:"time"`
	Data any    `json:"data"`
}

// testData is the data of a test event.
type testData struct {
	Message string `json:"message"`
}

// onlineStatus is one element of the platform's online-status callback (note "userid").
type onlineStatus struct {
	UserID    string `json:"userid"`
	Status    string `json:"status"`
	OS        string `json:"os,omitempty"`
	Time      int64  `json:"time"`
	ClientIP  string `json:"clientIp,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
}

// profileSync is the platform's hosted-profile sync callback (type 0 cleared, 1 modified).
type profileSync struct {
	UserID         string            `json:"userId"`
	Type           int               `json:"type"`
	Time           int64             `json:"time"`
	UserProfile    map[string]any    `json:"userProfile,omitempty"`
	UserExtProfile map[string]string `json:"userExtProfile,omitempty"`
}

// activationForm is the platform's (de)activation callback, a form.
func activationForm(d Data) string {
	typ := 0
	if d.OperationType != nil {
		typ = *d.OperationType
	}
	return url.Values{
		"userId": {d.UserID}, "operateId": {d.OperateID}, "type": {strconv.Itoa(typ)},
		"code": {d.Code}, "time": {strconv.FormatInt(d.Time, 10)},
	}.Encode()
}
