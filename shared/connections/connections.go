// Package connections reaches clients' open WebSocket connections from the server side, through
// the API Gateway Management API: in AWS the WebSocket API's own endpoint, locally the local
// gateway's @connections endpoint. The same client code serves both; only the endpoint differs.
package connections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"

	"imusers/shared/users"
)

// API is the part of the Management API used here; *apigatewaymanagementapi.Client satisfies it.
type API interface {
	PostToConnection(context.Context, *apigatewaymanagementapi.PostToConnectionInput, ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error)
	DeleteConnection(context.Context, *apigatewaymanagementapi.DeleteConnectionInput, ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.DeleteConnectionOutput, error)
}

var _ API = (*apigatewaymanagementapi.Client)(nil)

// ErrGone means the connection is already closed.
var ErrGone = errors.New("connection is gone")

// parallelism bounds the Management API calls one request runs at once: closing a user's
// connections one after another would let the last ones linger.
const parallelism = 10

// Manager sends to and closes connections.
type Manager struct {
	API API
}

var _ users.Kicker = (*Manager)(nil)

// Send delivers one text frame to a connection.
func (m *Manager) Send(ctx context.Context, connID string, frame []byte) error {
	_, err := m.API.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
		ConnectionId: aws.String(connID), Data: frame,
	})
	return gone(err)
}

// Close closes a connection; API Gateway then runs its $disconnect route.
func (m *Manager) Close(ctx context.Context, connID string) error {
	_, err := m.API.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(connID)})
	return gone(err)
}

func gone(err error) error {
	var g *types.GoneException
	if errors.As(err, &g) {
		return ErrGone
	}
	return err
}

// Kicked is the last frame a closed connection receives.
type Kicked struct {
	Type   string `json:"type"` // always "kicked"
	Reason string `json:"reason"`
}

// Kick tells each connection why and closes it, all connections at once. Connections already
// gone are skipped; the first other failure is returned after every connection was tried.
func (m *Manager) Kick(ctx context.Context, connIDs []string, reason string) error {
	frame, err := json.Marshal(Kicked{Type: "kicked", Reason: reason})
	if err != nil {
		return err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, parallelism)
	)
	for _, id := range connIDs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			err := m.Send(ctx, id, frame)
			if err == nil {
				err = m.Close(ctx, id)
			}
			if err != nil && !errors.Is(err, ErrGone) {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("kick %s: %w", id, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}
