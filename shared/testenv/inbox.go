package testenv

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Inbox reads a client connection's frames in the background. A read whose context expires
// closes a coder/websocket connection, so a test that waits for a frame with a deadline, or
// checks that none comes, reads from the inbox instead and keeps the connection usable.
type Inbox struct {
	Conn   *websocket.Conn
	frames chan map[string]any
}

// NewInbox starts reading conn's frames; it stops when the connection closes. It takes frames
// up to API Gateway's 128 KiB, as a client must (coder/websocket refuses over 32 KiB by default).
func NewInbox(conn *websocket.Conn) *Inbox {
	conn.SetReadLimit(128 << 10)
	in := &Inbox{Conn: conn, frames: make(chan map[string]any, 256)}
	go func() {
		defer close(in.frames)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(data, &m) != nil || m == nil {
				m = map[string]any{"unreadable": string(data)}
			}
			in.frames <- m
		}
	}()
	return in
}

// Next returns the next frame, failing the test when none comes within d or the connection
// closes first.
func (in *Inbox) Next(t testing.TB, d time.Duration) map[string]any {
	t.Helper()
	select {
	case f, ok := <-in.frames:
		if !ok {
			t.Fatal("the connection closed before the frame came")
		}
		return f
	case <-time.After(d):
		t.Fatalf("no frame within %s", d)
	}
	return nil
}

// Poll returns the next frame if one comes within d.
func (in *Inbox) Poll(d time.Duration) (map[string]any, bool) {
	select {
	case f, ok := <-in.frames:
		return f, ok
	case <-time.After(d):
		return nil, false
	}
}

// Quiet fails the test if a frame comes within d.
func (in *Inbox) Quiet(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case f, ok := <-in.frames:
		if ok {
			t.Fatalf("unexpected frame %v", f)
		}
	case <-time.After(d):
	}
}

// Closed waits up to d for the connection to end, failing the test if a frame comes first.
func (in *Inbox) Closed(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case f, ok := <-in.frames:
		if ok {
			t.Fatalf("frame %v where the connection should have closed", f)
		}
	case <-time.After(d):
		t.Fatalf("the connection is still open after %s", d)
	}
}

// Send writes one JSON frame on the inbox's connection.
func (in *Inbox) Send(t testing.TB, frame any) {
	t.Helper()
	WriteFrame(t, in.Conn, frame)
}
