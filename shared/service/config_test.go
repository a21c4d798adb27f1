package service

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"IM_TABLE": "t", "IM_NONCE_REPLAY_PROTECTION": "on", "IM_ERASURE_SETTLE_SECONDS": "3",
		"IM_SIGNATURE_WINDOW_SECONDS": "60", "IM_SETTINGS_MAX_AGE_SECONDS": "4", "IM_WS_MANAGEMENT_ENDPOINT": "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
	}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Table != "t" || !c.NonceReplayProtection || c.ErasureSettle != 3*time.Second || c.SignatureWindow != time.Minute ||
		c.EraseFunction != "eraseUsers" || c.ManagementEndpoint != env["IM_WS_MANAGEMENT_ENDPOINT"] || c.SettingsMaxAge != 4*time.Second {
		t.Fatalf("config %+v", c)
	}
	for name, bad := range map[string]string{
		"IM_TABLE":                    "",
		"IM_NONCE_REPLAY_PROTECTION":  "yes",
		"IM_ERASURE_SETTLE_SECONDS":   "-1",
		"IM_SETTINGS_MAX_AGE_SECONDS": "ten",
		"IM_SIGNATURE_WINDOW_SECONDS": "5m",
		"IM_WS_MANAGEMENT_ENDPOINT":   "abc.execute-api.eu-west-1.amazonaws.com/prod",
	} {
		t.Run(name, func(t *testing.T) {
			e := map[string]string{}
			for k, v := range env {
				e[k] = v
			}
			e[name] = bad
			_, err := ConfigFromEnv(func(k string) string { return e[k] })
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%q: error %v, want one naming %s", name, bad, err, name)
			}
		})
	}
}

// Unset, the settings a client message reads serve the next ten seconds of messages.
func TestSettingsMaxAgeDefault(t *testing.T) {
	c, err := ConfigFromEnv(func(k string) string { return map[string]string{"IM_TABLE": "t"}[k] })
	if err != nil || c.SettingsMaxAge != 10*time.Second || c.ErasureSettle != 15*time.Second {
		t.Fatalf("config %+v, %v", c, err)
	}
}
