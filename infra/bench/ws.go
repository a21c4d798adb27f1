package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/coder/websocket"

	"imusers/infra/gateway"
	"imusers/shared/adapter/wsapi"
	"imusers/shared/apps"
	"imusers/shared/store"
)

// wsURL is the connection API's address for a token, as a client SDK builds it.
func (e *env) wsURL(token string) string {
	return "ws" + strings.TrimPrefix(e.url, "http") + gateway.WebSocketPath + "?" + wsapi.TokenParam + "=" + url.QueryEscape(token)
}

// dial opens a client connection; the handshake returns once the authorizer and $connect ran.
func (e *env) dial(ctx context.Context, token string) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(dctx, e.wsURL(token), nil)
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("connect refused: HTTP %d", res.StatusCode)
		}
		return nil, err
	}
	return c, nil
}

// exchange sends one JSON frame and reads frames until one of type want arrives.
func exchange(ctx context.Context, c *websocket.Conn, frame any, want string) (map[string]any, error) {
	data, err := json.Marshal(frame)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.Write(wctx, websocket.MessageText, data); err != nil {
		return nil, err
	}
	for {
		_, data, err := c.Read(wctx)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if json.Unmarshal(data, &m) == nil && m["type"] == want {
			return m, nil
		}
	}
}

// waitOffline waits until the user has no recorded connection left, which is when the
// gateway's asynchronous $disconnect has written; read without counting, through the
// fixtures' store.
func (e *env) waitOffline(ctx context.Context, app apps.App, user string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		conns, err := e.fixtures.Connections(ctx, app.Key, user, store.Strong)
		if err != nil {
			return err
		}
		if len(conns) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("$disconnect did not happen within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// closeAndWait closes a client connection as a client does and waits for its $disconnect.
func (e *env) closeAndWait(ctx context.Context, c *websocket.Conn, app apps.App, user string) error {
	if c == nil {
		return nil
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	return e.waitOffline(ctx, app, user)
}

// handler is a function's Lambda handler behind aws-lambda-go's JSON boundary, built once as
// Lambda builds it, for the events a client cannot trigger on its own schedule.
func (e *env) handler(name string) (lambda.Handler, error) {
	h, err := e.svc.Handler(name)
	if err != nil {
		return nil, err
	}
	return lambda.NewHandler(h), nil
}

// connectionEvent is what API Gateway sends a connection route for an admitted connection.
func connectionEvent(routeKey, eventType, connID string, app apps.App, user string) events.APIGatewayWebsocketProxyRequest {
	now := time.Now()
	return events.APIGatewayWebsocketProxyRequest{RequestContext: events.APIGatewayWebsocketProxyRequestContext{
		RouteKey: routeKey, EventType: eventType, ConnectionID: connID, RequestID: "bench-" + randomID(),
		Stage: "$default", APIID: "bench", ConnectedAt: now.UnixMilli(), RequestTimeEpoch: now.UnixMilli(),
		Authorizer: map[string]any{wsapi.ContextApp: app.Key, wsapi.ContextUser: user},
	}}
}

// online opens and keeps a connection for each user (closed with the gateway at the end).
func (e *env) online(ctx context.Context, app apps.App, ids ...string) error {
	for _, id := range ids {
		tok, err := e.register(ctx, app, id)
		if err != nil {
			return err
		}
		if _, err := e.dial(ctx, tok); err != nil {
			return err
		}
	}
	return nil
}

// connectChurn is the load of clients connecting: each call opens a connection (timed until
// the handshake completes) and closes it again afterwards, as a client's reconnect does.
func (e *env) connectChurn(tokens []string) attack {
	return func(ctx context.Context, rate int, d time.Duration) loadStep {
		var mu sync.Mutex
		var closing sync.WaitGroup
		n := 0
		step := paced(ctx, rate, d, func(ctx context.Context) error {
			mu.Lock()
			tok := tokens[n%len(tokens)]
			n++
			mu.Unlock()
			c, err := e.dial(ctx, tok)
			if err != nil {
				return err
			}
			closing.Add(1)
			go func() { defer closing.Done(); _ = c.Close(websocket.StatusNormalClosure, "") }()
			return nil
		})
		closing.Wait()
		return step
	}
}

// maxInFlight bounds the calls a paced generator has open at once; when all are busy it falls
// behind, which the step's achieved rate then shows.
const maxInFlight = 256

// paced calls op at a constant rate for d, each call in its own goroutine, and summarises the
// step like a vegeta attack: latency of each call, successes, the rate really achieved.
func paced(ctx context.Context, rate int, d time.Duration, op func(context.Context) error) loadStep {
	type result struct {
		start time.Time
		lat   time.Duration
		err   error
	}
	slots := make(chan struct{}, maxInFlight)
	results := make(chan result, rate*int(d/time.Second+1)+1)
	var wg sync.WaitGroup
	begin := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := 0; ; i++ {
		at := begin.Add(time.Duration(i) * interval)
		if at.Sub(begin) >= d || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Until(at))
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			start := time.Now()
			err := op(ctx)
			results <- result{start, time.Since(start), err}
		}()
	}
	wg.Wait()
	close(results)
	var lat []time.Duration
	ok := 0
	errs := map[string]bool{}
	var first, last time.Time
	for r := range results {
		lat = append(lat, r.lat)
		if first.IsZero() || r.start.Before(first) {
			first = r.start
		}
		if r.start.After(last) {
			last = r.start
		}
		if r.err == nil {
			ok++
		} else if len(errs) < 3 {
			errs[r.err.Error()] = true
		}
	}
	return summarizeStep(rate, lat, ok, first, last, errs)
}

const textMessage = `{"content":"hello from the benchmark"}`

// pair is a sender and a recipient, both connected; the recipient's frames are read and
// dropped so that deliveries never wait on a full socket.
type pair struct {
	sender *websocket.Conn
	mu     sync.Mutex // one message in flight per sender: its ack is the next ack it reads
	to     string
}

func (e *env) connectPair(ctx context.Context, app apps.App, from, to string) (*pair, error) {
	stok, err := e.register(ctx, app, from)
	if err != nil {
		return nil, err
	}
	rtok, err := e.register(ctx, app, to)
	if err != nil {
		return nil, err
	}
	s, err := e.dial(ctx, stok)
	if err != nil {
		return nil, err
	}
	r, err := e.dial(ctx, rtok)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			if _, _, err := r.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	return &pair{sender: s, to: to}, nil
}

// send sends one direct message and waits for the sender's ack, which comes once the message
// has been written to the recipient's connections.
func (p *pair) send(ctx context.Context, n int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ack, err := exchange(ctx, p.sender, map[string]string{
		"action": "sendMessage", "toUserId": p.to, "objectName": "RC:TxtMsg",
		"content": textMessage, "clientMsgId": fmt.Sprint("m-", n),
	}, "ack")
	if err != nil {
		return err
	}
	if code, _ := ack["code"].(float64); code != 200 {
		return fmt.Errorf("ack %v", ack)
	}
	return nil
}
