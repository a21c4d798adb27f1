package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/coder/websocket"

	"imusers/infra/gateway"
	"imusers/shared/store"
	"imusers/shared/testenv"
)

func token(t *testing.T, s *testenv.Stack, user string) string {
	t.Helper()
	r := s.Client(0).MustOK(t, "/user/getToken.json", url.Values{"userId": {user}, "name": {user}})
	return r.Body["token"].(string)
}

func online(t *testing.T, s *testenv.Stack, user string) string {
	t.Helper()
	r := s.Client(0).MustOK(t, "/user/checkOnline.json", url.Values{"userId": {user}})
	return r.Body["status"].(string)
}

// closedWithin reads until the connection ends and returns its close status.
func closedWithin(t *testing.T, c *websocket.Conn, d time.Duration) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatalf("connection still open after %s", d)
			}
			return websocket.CloseStatus(err)
		}
	}
}

func waitOffline(t *testing.T, s *testenv.Stack, user string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for online(t, s, user) != "0" {
		if time.Now().After(deadline) {
			t.Fatal("$disconnect did not run: the user is still online")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestIdleConnectionsAreClosed(t *testing.T) {
	s := testenv.StartStackWith(t, testenv.Options{ConfigureGateway: func(g *gateway.Gateway) {
		g.IdleTimeout = 300 * time.Millisecond
	}})
	c := s.MustDial(t, token(t, s, "alice"))
	if online(t, s, "alice") != "1" {
		t.Fatal("not online after connect")
	}
	if code := closedWithin(t, c, 3*time.Second); code != websocket.StatusGoingAway {
		t.Fatalf("idle connection closed with %d, want 1001 going away", code)
	}
	waitOffline(t, s, "alice")
}

func TestConnectionsEndAtTheMaximumAge(t *testing.T) {
	s := testenv.StartStackWith(t, testenv.Options{ConfigureGateway: func(g *gateway.Gateway) {
		g.MaxConnection = 500 * time.Millisecond
	}})
	c := s.MustDial(t, token(t, s, "alice"))
	start := time.Now()
	// Frames keep the connection from idling, not from ageing.
	go func() {
		for range 20 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := c.Write(ctx, websocket.MessageText, []byte(`{"action":"ping"}`))
			cancel()
			if err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	if code := closedWithin(t, c, 3*time.Second); code != websocket.StatusGoingAway {
		t.Fatalf("connection closed with %d, want 1001 going away", code)
	}
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Fatalf("closed after %s, before the maximum age", d)
	}
	waitOffline(t, s, "alice")
}

// TestManagementEndpoint drives @connections with the AWS SDK's own client, the reference for
// what API Gateway's endpoint accepts; the service's own client makes the kicks and deliveries of
// the end-to-end tests.
func TestManagementEndpoint(t *testing.T) {
	s := testenv.StartStack(t)
	mgmt := apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: aws.AnonymousCredentials{},
	})
	ctx := context.Background()
	c := s.MustDial(t, token(t, s, "alice"))
	ids := s.Service.Store
	conns, err := ids.Connections(ctx, s.Apps[0].Key, "alice", store.Strong)
	if err != nil || len(conns) != 1 {
		t.Fatalf("connections = %v, %v", conns, err)
	}
	id := conns[0].ID
	if len(id) != 16 || !strings.HasSuffix(id, "=") {
		t.Errorf("connection id %q is not shaped like API Gateway's", id)
	}

	desc, err := mgmt.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if desc.ConnectedAt == nil || time.Since(*desc.ConnectedAt) > time.Minute || aws.ToString(desc.Identity.SourceIp) != "127.0.0.1" {
		t.Fatalf("GetConnection = %+v", desc)
	}

	if _, err := mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte(`{"hello":1}`)}); err != nil {
		t.Fatal(err)
	}
	if f, err := testenv.ReadFrame(t, c, 2*time.Second); err != nil || f["hello"] != float64(1) {
		t.Fatalf("posted frame arrived as %v, %v", f, err)
	}
	big := make([]byte, 128<<10+1)
	if _, err := mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: big}); err == nil {
		t.Fatal("a frame over 128 KiB was accepted")
	}

	if _, err := mgmt.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	if code := closedWithin(t, c, 2*time.Second); code == -1 {
		t.Fatal("deleted connection ended without a close frame")
	}
	waitOffline(t, s, "alice")

	var gone *types.GoneException
	_, err = mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte("x")})
	if !errors.As(err, &gone) {
		t.Fatalf("post to a closed connection: %v, want GoneException", err)
	}
	_, err = mgmt.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String("neverExisted=")})
	if !errors.As(err, &gone) {
		t.Fatalf("delete of an unknown connection: %v, want GoneException", err)
	}
}

func TestUpgradeIsRefusedBeforeAnyFunctionAnswers(t *testing.T) {
	s := testenv.StartStack(t)
	// A plain GET is not an upgrade.
	res, err := http.Get(s.URL + gateway.WebSocketPath + "?token=x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET answered %d", res.StatusCode)
	}
	s.Calls.Reset()
	if c, status := s.Dial(t, ""); c != nil || status != http.StatusUnauthorized {
		t.Fatalf("connect without a token answered %d", status)
	}
	if n := s.Calls.Calls().Total(); n != 0 {
		t.Fatalf("a connect without a token reached DynamoDB (%d calls)", n)
	}
}
