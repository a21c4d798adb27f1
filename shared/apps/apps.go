// Package apps knows the apps that share one deployment: each one's App Key, App Secret,
// environment and token-signing key. Nothing else in the service holds a secret.
package apps

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Environment is development or production; only development apps have the 100-user cap and
// the user list and delete calls.
type Environment string

const (
	Development Environment = "development"
	Production  Environment = "production"
)

// App is one tenant of the deployment.
type App struct {
	Key         string      `json:"appKey"`
	Secret      string      `json:"appSecret"`
	Environment Environment `json:"environment"`
	// TokenKey signs the app's user tokens. When not configured it is derived from the secret,
	// so rotating the secret also retires every token.
	TokenKey string `json:"tokenKey,omitempty"`
}

// IsDevelopment reports whether the app is a development app.
func (a App) IsDevelopment() bool { return a.Environment == Development }

// SigningKey is the key that signs and verifies this app's tokens.
func (a App) SigningKey() []byte {
	if a.TokenKey != "" {
		return []byte(a.TokenKey)
	}
	m := hmac.New(sha256.New, []byte(a.Secret))
	m.Write([]byte("imusers token signing key v1\x00" + a.Key))
	return m.Sum(nil)
}

// String, GoString and LogValue keep the secret and token key out of every log line and error
// text even when an App is printed whole: slog's JSON handler would otherwise marshal every
// field, and %#v would print them too.
func (a App) String() string { return "app " + a.Key }

func (a App) GoString() string { return a.String() }

func (a App) LogValue() slog.Value {
	return slog.GroupValue(slog.String("appKey", a.Key), slog.String("environment", string(a.Environment)))
}

// Registry finds apps by App Key.
type Registry struct {
	byKey map[string]App
}

// NewRegistry checks and indexes a list of apps.
func NewRegistry(list []App) (*Registry, error) {
	r := &Registry{byKey: map[string]App{}}
	for i, a := range list {
		if a.Environment == "" {
			a.Environment = Development
		}
		switch {
		case a.Key == "" || a.Secret == "":
			return nil, fmt.Errorf("app %d: appKey and appSecret are required", i)
		case strings.ContainsAny(a.Key, "#,") || len(a.Key) > 64:
			return nil, fmt.Errorf("app %d: appKey must be at most 64 characters without '#' or ','", i)
		case a.Environment != Development && a.Environment != Production:
			return nil, fmt.Errorf("app %s: environment must be %q or %q", a.Key, Development, Production)
		case r.byKey[a.Key].Key != "":
			return nil, fmt.Errorf("app %s is defined twice", a.Key)
		}
		r.byKey[a.Key] = a
	}
	if len(r.byKey) == 0 {
		return nil, errors.New("no app is configured")
	}
	return r, nil
}

// Lookup returns the app with this key.
func (r *Registry) Lookup(key string) (App, bool) {
	a, ok := r.byKey[key]
	return a, ok
}

// All lists the apps (in no particular order).
func (r *Registry) All() []App {
	out := make([]App, 0, len(r.byKey))
	for _, a := range r.byKey {
		out = append(out, a)
	}
	return out
}

// Parse reads the JSON list form: [{"appKey":"…","appSecret":"…","environment":"production"}].
func Parse(data []byte) (*Registry, error) {
	var list []App
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("apps list is not a JSON list of {appKey, appSecret, environment}: %w", err)
	}
	return NewRegistry(list)
}

// ParameterReader fetches a (decrypted) parameter by name, as SSM Parameter Store does.
type ParameterReader func(ctx context.Context, name string) (string, error)

// Load builds the registry from the environment:
//   - IM_APPS_PARAMETER: name of an SSM SecureString holding the JSON list (how AWS runs it);
//   - IM_APPS: the JSON list itself (local runs);
//   - IM_APP_KEY, IM_APP_SECRET, IM_APP_ENV: one app (local runs; IM_APP_ENV defaults to development).
func Load(ctx context.Context, getenv func(string) string, fetch ParameterReader) (*Registry, error) {
	if name := getenv("IM_APPS_PARAMETER"); name != "" {
		if fetch == nil {
			return nil, errors.New("IM_APPS_PARAMETER is set but no parameter store is available")
		}
		data, err := fetch(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("reading apps parameter %s: %w", name, err)
		}
		return Parse([]byte(data))
	}
	if list := getenv("IM_APPS"); list != "" {
		return Parse([]byte(list))
	}
	return NewRegistry([]App{{
		Key:         getenv("IM_APP_KEY"),
		Secret:      getenv("IM_APP_SECRET"),
		Environment: Environment(getenv("IM_APP_ENV")),
	}})
}

// FromProcessEnv is Load with the process environment and no parameter store.
func FromProcessEnv() (*Registry, error) { return Load(context.Background(), os.Getenv, nil) }
