package testenv

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"imusers/infra/gateway"
)

// WSURL is the stack's connection API URL for a token.
func (s *Stack) WSURL(token string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + gateway.WebSocketPath + "?token=" + url.QueryEscape(token)
}

// Dial opens a client connection with token, as a client SDK would. On a refused handshake it
// returns the HTTP status and a nil connection.
func (s *Stack) Dial(t testing.TB, token string) (*websocket.Conn, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, s.WSURL(token), nil)
	if err != nil {
		if res != nil {
			return nil, res.StatusCode
		}
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c, http.StatusSwitchingProtocols
}

// MustDial opens a client connection and fails the test if it is refused.
func (s *Stack) MustDial(t testing.TB, token string) *websocket.Conn {
	t.Helper()
	c, status := s.Dial(t, token)
	if c == nil {
		t.Fatalf("connect refused with HTTP %d", status)
	}
	return c
}

// ReadFrame reads one JSON frame within d.
func ReadFrame(t testing.TB, c *websocket.Conn, d time.Duration) (map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("frame is not a JSON object: %q", data)
	}
	return m, nil
}

// WriteFrame sends one JSON frame.
func WriteFrame(t testing.TB, c *websocket.Conn, frame any) {
	t.Helper()
	data, err := json.Marshal(frame)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, data); err != nil {
		t.Fatalf("write frame: %v", err)
	}
}

// Ask sends one frame on c and reads the answer, as a client waiting on its request does, and
// returns it with its size in bytes. c reads with coder/websocket's default limit of 32 KiB,
// API Gateway's limit for a frame, so a larger answer fails the test.
func Ask(t testing.TB, c *websocket.Conn, frame any) (answer map[string]any, size int) {
	t.Helper()
	WriteFrame(t, c, frame)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("no answer to %v: %v", frame, err)
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		t.Fatalf("answer is not a JSON object: %q", data)
	}
	return answer, len(data)
}
