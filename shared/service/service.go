// Package service is the one place the service's configuration is read: its own settings from
// the environment (Config) and the AWS SDK's from the SDK's standard chain (AWSConfig). It
// builds no AWS client: each function's main builds the ones it uses (see shared/lambdaapp),
// and shared/assembly builds them all for the local twin and the tests.
package service

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
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
	// IM_SETTINGS_MAX_AGE_SECONDS: how long the app settings one client message read serve the
	// following messages of the same function instance (default 10; 0 reads them every time).
	// A change of the settings reaches client sends within it.
	SettingsMaxAge time.Duration
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
	var err error
	if c.ErasureSettle, err = seconds(getenv, "IM_ERASURE_SETTLE_SECONDS", 15); err != nil {
		return c, err
	}
	if c.SettingsMaxAge, err = seconds(getenv, "IM_SETTINGS_MAX_AGE_SECONDS", 10); err != nil {
		return c, err
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

// seconds reads a setting given in whole seconds, def when unset.
func seconds(getenv func(string) string, name string, def int) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return time.Duration(def) * time.Second, nil
	}
	secs, err := strconv.Atoi(v)
	if err != nil || secs < 0 {
		return 0, fmt.Errorf("%s must be a whole number of seconds, got %q", name, v)
	}
	return time.Duration(secs) * time.Second, nil
}
