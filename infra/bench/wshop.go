package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// wsHops are the WebSocket counterparts of the HTTP hop: what a client pays to reach a bare
// WebSocket server on loopback, with no gateway and no function behind it. A connect is
// charged the handshake, a frame exchange (ping, sendMessage) one frame there and one back.
type wsHops struct {
	handshake func(context.Context) (time.Duration, error)
	frame     func(context.Context) (time.Duration, error)
	stop      func()
}

func newWSHops(ctx context.Context) (*wsHops, error) {
	url, stop, err := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if err := c.Write(context.Background(), typ, data); err != nil {
				return
			}
		}
	}))
	if err != nil {
		return nil, err
	}
	wsURL := "ws" + strings.TrimPrefix(url, "http") + "/ws?token=baseline"
	dial := func(ctx context.Context) (*websocket.Conn, error) {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(dctx, wsURL, nil)
		return c, err
	}
	open, err := dial(ctx)
	if err != nil {
		stop()
		return nil, err
	}
	h := &wsHops{stop: func() { _ = open.CloseNow(); stop() }}
	h.handshake = func(ctx context.Context) (time.Duration, error) {
		start := time.Now()
		c, err := dial(ctx)
		took := time.Since(start)
		if err != nil {
			return 0, err
		}
		_ = c.Close(websocket.StatusNormalClosure, "")
		return took, nil
	}
	n := 0
	h.frame = func(ctx context.Context) (time.Duration, error) {
		n++
		start := time.Now()
		got, err := exchange(ctx, open, map[string]string{"action": "ping", "type": "echo", "n": fmt.Sprint(n)}, "echo")
		took := time.Since(start)
		if err != nil {
			return 0, err
		}
		if got["n"] != fmt.Sprint(n) {
			return 0, fmt.Errorf("echo of frame %d answered %v", n, got)
		}
		return took, nil
	}
	return h, nil
}
