package apps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestNewRegistryRules(t *testing.T) {
	long := strings.Repeat("k", 65)
	tests := []struct {
		name    string
		list    []App
		wantErr string // "" means the registry is valid
	}{
		{"one app", []App{{Key: "k1", Secret: "s1"}}, ""},
		{"two apps", []App{{Key: "k1", Secret: "s1"}, {Key: "k2", Secret: "s2", Environment: Production}}, ""},
		{"64-byte key", []App{{Key: long[:64], Secret: "s"}}, ""},
		{"empty list", nil, "no app"},
		{"missing key", []App{{Secret: "s1"}}, "appKey and appSecret are required"},
		{"missing secret", []App{{Key: "k1"}}, "appKey and appSecret are required"},
		{"duplicate key", []App{{Key: "k1", Secret: "s1"}, {Key: "k1", Secret: "s2"}}, "defined twice"},
		{"bad environment", []App{{Key: "k1", Secret: "s1", Environment: "staging"}}, "environment"},
		{"environment is case-sensitive", []App{{Key: "k1", Secret: "s1", Environment: "Production"}}, "environment"},
		{"key with #", []App{{Key: "a#b", Secret: "s"}}, "appKey"},
		{"key with comma", []App{{Key: "a,b", Secret: "s"}}, "appKey"},
		{"key too long", []App{{Key: long, Secret: "s"}}, "appKey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRegistry(tc.list)
			if tc.wantErr == "" {
				if err != nil || r == nil {
					t.Fatalf("NewRegistry: %v", err)
				}
				if got := len(r.All()); got != len(tc.list) {
					t.Fatalf("All() has %d apps, want %d", got, len(tc.list))
				}
				for _, a := range tc.list {
					got, ok := r.Lookup(a.Key)
					if !ok || got.Secret != a.Secret {
						t.Errorf("Lookup(%q) = %+v, %v", a.Key, got, ok)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("NewRegistry accepted %+v", tc.list)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %q does not say %q", err, tc.wantErr)
			}
		})
	}
}

// The error for a bad app must never carry its secret: it ends up in Lambda init logs.
func TestRegistryErrorsDoNotShowSecrets(t *testing.T) {
	for _, list := range [][]App{
		{{Key: "k", Secret: "topsecret", Environment: "qa"}},
		{{Key: "k", Secret: "topsecret"}, {Key: "k", Secret: "topsecret2"}},
		{{Key: "", Secret: "topsecret"}},
	} {
		_, err := NewRegistry(list)
		if err == nil {
			t.Fatalf("NewRegistry accepted %v", list)
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("error %q shows a secret", err)
		}
	}
}

func TestEnvironmentDefaultsToDevelopment(t *testing.T) {
	r, err := NewRegistry([]App{{Key: "dev", Secret: "s"}, {Key: "prod", Secret: "s", Environment: Production}})
	if err != nil {
		t.Fatal(err)
	}
	dev, _ := r.Lookup("dev")
	if dev.Environment != Development || !dev.IsDevelopment() {
		t.Errorf("app without environment is %q, want development", dev.Environment)
	}
	prod, _ := r.Lookup("prod")
	if prod.IsDevelopment() {
		t.Error("production app reports development")
	}
	if _, ok := r.Lookup("nope"); ok {
		t.Error("Lookup found an unknown key")
	}
	if _, ok := r.Lookup(""); ok {
		t.Error("Lookup found the empty key")
	}
}

func TestParseJSONList(t *testing.T) {
	r, err := Parse([]byte(`[{"appKey":"a","appSecret":"sa","environment":"production"},
		{"appKey":"b","appSecret":"sb","tokenKey":"tk"}]`))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := r.Lookup("a")
	if !ok || a.Secret != "sa" || a.Environment != Production {
		t.Errorf("a = %+v, %v", a, ok)
	}
	b, ok := r.Lookup("b")
	if !ok || b.Secret != "sb" || b.Environment != Development || b.TokenKey != "tk" {
		t.Errorf("b = %+v, %v", b, ok)
	}

	for _, bad := range []string{``, `{}`, `{"appKey":"a","appSecret":"s"}`, `[`, `[]`, `[{"appKey":1}]`, `null`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	const list = `[{"appKey":"p","appSecret":"ps","environment":"production"}]`

	t.Run("IM_APPS", func(t *testing.T) {
		r, err := Load(ctx, env(map[string]string{"IM_APPS": list, "IM_APP_KEY": "ignored", "IM_APP_SECRET": "x"}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := r.Lookup("p"); !ok {
			t.Error("app from IM_APPS is missing")
		}
		if _, ok := r.Lookup("ignored"); ok {
			t.Error("IM_APP_KEY was used although IM_APPS is set")
		}
	})

	t.Run("single app", func(t *testing.T) {
		r, err := Load(ctx, env(map[string]string{"IM_APP_KEY": "k", "IM_APP_SECRET": "s", "IM_APP_ENV": "production"}), nil)
		if err != nil {
			t.Fatal(err)
		}
		a, ok := r.Lookup("k")
		if !ok || a.Secret != "s" || a.Environment != Production {
			t.Errorf("a = %+v, %v", a, ok)
		}
	})

	t.Run("single app defaults to development", func(t *testing.T) {
		r, err := Load(ctx, env(map[string]string{"IM_APP_KEY": "k", "IM_APP_SECRET": "s"}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if a, _ := r.Lookup("k"); !a.IsDevelopment() {
			t.Errorf("environment %q, want development", a.Environment)
		}
	})

	t.Run("nothing configured", func(t *testing.T) {
		if _, err := Load(ctx, env(nil), nil); err == nil {
			t.Fatal("Load succeeded with no configuration")
		}
	})

	t.Run("single app bad environment", func(t *testing.T) {
		if _, err := Load(ctx, env(map[string]string{"IM_APP_KEY": "k", "IM_APP_SECRET": "s", "IM_APP_ENV": "prod"}), nil); err == nil {
			t.Fatal("Load accepted IM_APP_ENV=prod")
		}
	})

	t.Run("parameter store", func(t *testing.T) {
		var asked []string
		fetch := func(ctx context.Context, name string) (string, error) {
			asked = append(asked, name)
			return list, nil
		}
		r, err := Load(ctx, env(map[string]string{"IM_APPS_PARAMETER": "/im/apps", "IM_APPS": `[{"appKey":"other","appSecret":"o"}]`}), fetch)
		if err != nil {
			t.Fatal(err)
		}
		if len(asked) != 1 || asked[0] != "/im/apps" {
			t.Errorf("fetch was asked for %q, want [/im/apps]", asked)
		}
		if _, ok := r.Lookup("p"); !ok {
			t.Error("app from the parameter is missing")
		}
		if _, ok := r.Lookup("other"); ok {
			t.Error("IM_APPS was used although IM_APPS_PARAMETER is set")
		}
	})

	t.Run("parameter store error", func(t *testing.T) {
		boom := errors.New("AccessDeniedException")
		_, err := Load(ctx, env(map[string]string{"IM_APPS_PARAMETER": "/im/apps"}), func(context.Context, string) (string, error) {
			return "", boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("error %v does not wrap the fetch error", err)
		}
		if !strings.Contains(err.Error(), "/im/apps") {
			t.Errorf("error %q does not name the parameter", err)
		}
	})

	t.Run("parameter store bad JSON", func(t *testing.T) {
		_, err := Load(ctx, env(map[string]string{"IM_APPS_PARAMETER": "/im/apps"}), func(context.Context, string) (string, error) {
			return "not json", nil
		})
		if err == nil {
			t.Fatal("Load accepted a parameter that is not JSON")
		}
	})

	t.Run("parameter without a store", func(t *testing.T) {
		if _, err := Load(ctx, env(map[string]string{"IM_APPS_PARAMETER": "/im/apps", "IM_APPS": list}), nil); err == nil {
			t.Fatal("Load fell back to IM_APPS although the parameter could not be read")
		}
	})

	t.Run("context reaches fetch", func(t *testing.T) {
		type key struct{}
		ctx := context.WithValue(ctx, key{}, "marker")
		var got any
		_, _ = Load(ctx, env(map[string]string{"IM_APPS_PARAMETER": "n"}), func(ctx context.Context, _ string) (string, error) {
			got = ctx.Value(key{})
			return list, nil
		})
		if got != "marker" {
			t.Error("fetch did not receive the caller's context")
		}
	})
}

func TestSigningKey(t *testing.T) {
	a := App{Key: "a", Secret: "secret-a"}
	b := App{Key: "b", Secret: "secret-b"}
	if !bytes.Equal(a.SigningKey(), a.SigningKey()) {
		t.Fatal("SigningKey is not stable")
	}
	if !bytes.Equal(a.SigningKey(), App{Key: "a", Secret: "secret-a", Environment: Production}.SigningKey()) {
		t.Error("SigningKey depends on the environment")
	}
	if bytes.Equal(a.SigningKey(), b.SigningKey()) {
		t.Error("two apps share a signing key")
	}
	if len(a.SigningKey()) < 32 {
		t.Errorf("derived key has %d bytes, want at least 32", len(a.SigningKey()))
	}
	// The derived key must not be the secret itself: tokens are handed to end users, and a key
	// equal to the App Secret would put the Server API's secret one HMAC away from them.
	if bytes.Contains(a.SigningKey(), []byte(a.Secret)) {
		t.Error("derived key contains the secret")
	}
	// Rotating the secret retires the tokens signed with a derived key.
	rotated := App{Key: "a", Secret: "secret-a2"}
	if bytes.Equal(a.SigningKey(), rotated.SigningKey()) {
		t.Error("rotating the secret kept the signing key")
	}
	// A configured token key wins, and survives a secret rotation.
	withKey := App{Key: "a", Secret: "secret-a", TokenKey: "configured"}
	if string(withKey.SigningKey()) != "configured" {
		t.Errorf("SigningKey = %q, want the configured token key", withKey.SigningKey())
	}
	withKey.Secret = "secret-a2"
	if string(withKey.SigningKey()) != "configured" {
		t.Error("a configured token key changed with the secret")
	}
}

// An App logged whole, by any slog handler or fmt verb, must not show its secret or token key.
func TestAppLogsWithoutSecrets(t *testing.T) {
	a := App{Key: "appkey1", Secret: "s3cr3t-value", TokenKey: "tok3n-key", Environment: Production}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "app", a)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "app", a)
	fmt.Fprintf(&buf, "%v %+v %#v %s\n", a, a, a, a)
	out := buf.String()
	for _, secret := range []string{a.Secret, a.TokenKey} {
		if strings.Contains(out, secret) {
			t.Errorf("logged output shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, a.Key) {
		t.Errorf("logged output does not name the app:\n%s", out)
	}
}
