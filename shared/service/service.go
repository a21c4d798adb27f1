// Package service is the composition root: it reads the configuration once per cold start,
// builds the AWS clients, the store and the domain services, and hands out the handlers.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"imusers/shared/adapter/httpapi"
	"imusers/shared/adapter/wsapi"
	"imusers/shared/api/messageapi"
	"imusers/shared/api/relationapi"
	"imusers/shared/api/userapi"
	"imusers/shared/apps"
	"imusers/shared/aws/connections"
	"imusers/shared/domain/erasure"
	"imusers/shared/domain/messages"
	"imusers/shared/domain/relations"
	"imusers/shared/domain/users"
	"imusers/shared/store"
)

// Config is every setting of the service, read from the environment in one place.
type Config struct {
	Table           string        // IM_TABLE: the DynamoDB table
	SignatureWindow time.Duration // IM_SIGNATURE_WINDOW_SECONDS: default 300, 0 turns it off
	EraseFunction   string        // IM_ERASE_FUNCTION: name of the erasure function
	// IM_FUNCTION_PREFIX: what comes before a route table name in a deployed function's name
	// ("<stack>-" in AWS, empty locally), for the $default route's forwarding.
	FunctionPrefix string
	// IM_WS_MANAGEMENT_ENDPOINT: the connection API's management endpoint, where connections are
	// sent to and closed (https://{api}.execute-api.{region}.amazonaws.com/{stage} in AWS).
	ManagementEndpoint string
	// IM_NONCE_REPLAY_PROTECTION: "on" refuses a request whose nonce another request used within
	// the signature window (one more write per call); "off" (the default) does not check.
	NonceReplayProtection bool
	// IM_ERASURE_SETTLE_SECONDS: how long after a deactivation erasure sweeps a user's data a
	// final time, for writes that read the user as active just before (default 15: the API
	// functions' 10-second timeout plus a margin).
	ErasureSettle time.Duration
}

// ConfigFromEnv reads Config from getenv.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv("IM_TABLE"), SignatureWindow: 5 * time.Minute, EraseFunction: getenv("IM_ERASE_FUNCTION"),
		FunctionPrefix: getenv("IM_FUNCTION_PREFIX"), ManagementEndpoint: getenv("IM_WS_MANAGEMENT_ENDPOINT")}
	if c.Table == "" {
		return c, fmt.Errorf("IM_TABLE is not set")
	}
	if c.EraseFunction == "" {
		c.EraseFunction = "eraseUsers"
	}
	if e := c.ManagementEndpoint; e != "" {
		// Checked here, so a mistyped endpoint fails the cold start, not the first kick.
		if u, err := url.Parse(e); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return c, fmt.Errorf("IM_WS_MANAGEMENT_ENDPOINT must be an http(s) URL, got %q", e)
		}
	}
	switch v := getenv("IM_NONCE_REPLAY_PROTECTION"); v {
	case "on":
		c.NonceReplayProtection = true
	case "", "off":
	default:
		return c, fmt.Errorf("IM_NONCE_REPLAY_PROTECTION must be on or off, got %q", v)
	}
	c.ErasureSettle = 15 * time.Second
	if v := getenv("IM_ERASURE_SETTLE_SECONDS"); v != "" {
		secs, err := strconv.Atoi(v)
		if err != nil || secs < 0 {
			return c, fmt.Errorf("IM_ERASURE_SETTLE_SECONDS must be a whole number of seconds, got %q", v)
		}
		c.ErasureSettle = time.Duration(secs) * time.Second
	}
	if w := getenv("IM_SIGNATURE_WINDOW_SECONDS"); w != "" {
		secs, err := strconv.Atoi(w)
		if err != nil || secs < 0 {
			return c, fmt.Errorf("IM_SIGNATURE_WINDOW_SECONDS must be a whole number of seconds, got %q", w)
		}
		c.SignatureWindow = time.Duration(secs) * time.Second
	}
	return c, nil
}

// Service holds everything a function needs, built once.
type Service struct {
	Config  Config
	Apps    *apps.Registry
	Store   *store.Store
	Users   *users.Service
	HTTP    *httpapi.Server
	UserAPI *userapi.API
	// Relations and RelationAPI: blocklist, whitelist, friends, app settings, send permission.
	Relations   *relations.Service
	RelationAPI *relationapi.API
	// Messages and MessageAPI: direct messages, from the App Server and from clients.
	Messages   *messages.Service
	MessageAPI *messageapi.API
	Erasure    *erasure.Worker
	WS         *wsapi.Server
	// Lambda is the Lambda client: erasure jobs and the $default route's forwarding use it.
	Lambda Invoker
	Log    *slog.Logger
}

// Invoker is the Lambda client's Invoke (*lambda.Client, from LambdaClient), as erasure and the
// $default route's forwarding each define it.
type Invoker interface {
	erasure.Invoker
	httpapi.Invoker
}

// Deps are the outside parts a Service is built on.
type Deps struct {
	Apps   *apps.Registry
	DB     store.DB
	Lambda Invoker
	// Connections is the management API of the connection API; without it, kicks fail.
	Connections connections.API
	Now         func() time.Time
	Log         *slog.Logger
}

// New wires a Service.
func New(cfg Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewJSONHandler(os.Stdout, nil))
	}
	st := store.New(d.DB, cfg.Table)
	starter := &erasure.Starter{Lambda: d.Lambda, Function: cfg.EraseFunction}
	u := &users.Service{Store: st, Eraser: starter, Apps: d.Apps, Now: d.Now}
	rel := &relations.Service{Store: st, Now: d.Now}
	msgs := &messages.Service{Store: st, Now: d.Now, Log: d.Log}
	if d.Connections != nil {
		u.Conns, msgs.Conns = d.Connections, d.Connections
	}
	return &Service{
		Config:      cfg,
		Apps:        d.Apps,
		Store:       st,
		Users:       u,
		HTTP:        &httpapi.Server{Apps: d.Apps, Window: cfg.SignatureWindow, Now: d.Now, Log: d.Log, Nonces: nonceStore(cfg, st)},
		UserAPI:     &userapi.API{Users: u},
		Relations:   rel,
		RelationAPI: &relationapi.API{Relations: rel},
		Messages:    msgs,
		MessageAPI:  &messageapi.API{Messages: msgs},
		Erasure:     &erasure.Worker{Store: st, Next: starter, Log: d.Log, Reserve: 10 * time.Second, Settle: cfg.ErasureSettle, Now: d.Now},
		WS:          &wsapi.Server{Users: u, Messages: msgs, Log: d.Log},
		Lambda:      d.Lambda,
		Log:         d.Log,
	}
}

// Fallback is the handler of the HTTP API's $default route; lookup names the function serving
// a Server API path (the route table's, which imports this package).
func (s *Service) Fallback(lookup func(path string) (function string, ok bool)) *httpapi.Fallback {
	return &httpapi.Fallback{Lookup: lookup, Functions: s.Lambda, Prefix: s.Config.FunctionPrefix, Log: s.Log}
}

// nonceStore is where the HTTP adapter records nonces: the store when replay protection is on.
func nonceStore(cfg Config, st *store.Store) httpapi.NonceStore {
	if !cfg.NonceReplayProtection {
		return nil
	}
	return st
}

// Load builds the Service from the process environment and the AWS configuration; it is what a
// Lambda function runs once at cold start. Endpoints can be redirected with the SDK's own
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_LAMBDA and AWS_ENDPOINT_URL_SSM (the local twin
// does so).
func Load(ctx context.Context) (*Service, error) {
	cfg, err := ConfigFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	// The SSM client is built only when the apps are in SSM (IM_APPS_PARAMETER).
	fetch := func(ctx context.Context, name string) (string, error) {
		return getParameter(ctx, ssm.NewFromConfig(awsCfg), name)
	}
	reg, err := apps.Load(ctx, os.Getenv, fetch)
	if err != nil {
		return nil, err
	}
	deps := Deps{Apps: reg, DB: DynamoClient(awsCfg), Lambda: LambdaClient(awsCfg)}
	if cfg.ManagementEndpoint != "" {
		deps.Connections = ManagementClient(awsCfg, cfg.ManagementEndpoint)
	}
	return New(cfg, deps), nil
}

// DynamoClient is the store's DynamoDB client, as a cold start builds it: the service's retry
// policy (four quick attempts, see AWSConfig) with DynamoDB's shorter base delay, the SDK
// DynamoDB client's own default. Its endpoint is the SDK's: the region's, or
// AWS_ENDPOINT_URL_DYNAMODB; optFns run last (tests aim it elsewhere).
func DynamoClient(awsCfg aws.Config, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	retries := func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 4
			so.MaxBackoff = 300 * time.Millisecond
			so.BaseDelay = 25 * time.Millisecond
		})
	}
	return dynamodb.NewFromConfig(awsCfg, append([]func(*dynamodb.Options){retries}, optFns...)...)
}
