package signature

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/wire/apierr"
)

// The contract's test vector.
const (
	vecSecret = "Y1W2MeFwwwRxa0"
	vecNonce  = "14314"
	vecTS     = "1408710653000"
	vecSig    = "30be0bbca9c9b2e27578701e9fda2358a814c88f"
	vecKey    = "vectorapp"
)

var vecTime = time.UnixMilli(1408710653000)

func registry(t testing.TB) *apps.Registry {
	t.Helper()
	r, err := apps.NewRegistry([]apps.App{
		{Key: vecKey, Secret: vecSecret},
		{Key: "other", Secret: "other-secret", Environment: apps.Production},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// headers builds a Header from names in any case, as a caller would send them.
func headers(kv ...string) Header {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[strings.ToLower(kv[i])] = kv[i+1]
	}
	return func(lower string) string { return m[lower] }
}

func signed(key, secret, nonce, ts string) []string {
	return []string{"App-Key", key, "Nonce", nonce, "Timestamp", ts, "Signature", Sign(secret, nonce, ts)}
}

func TestSignContractVector(t *testing.T) {
	if got := Sign(vecSecret, vecNonce, vecTS); got != vecSig {
		t.Fatalf("Sign = %s, want %s", got, vecSig)
	}
}

func TestVerify(t *testing.T) {
	const window = 5 * time.Minute
	tests := []struct {
		name    string
		h       []string
		now     time.Time
		window  time.Duration
		code    int // 0: accepted
		status  int
		msgHas  string
		wantApp string
	}{
		{name: "contract vector", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS, "Signature", vecSig},
			now: vecTime, window: window, wantApp: vecKey},
		{name: "uppercase hex signature", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS, "Signature", strings.ToUpper(vecSig)},
			now: vecTime, window: window, wantApp: vecKey},
		{name: "RC- prefixed headers", h: []string{"RC-App-Key", vecKey, "RC-Nonce", vecNonce, "RC-Timestamp", vecTS, "RC-Signature", vecSig},
			now: vecTime, window: window, wantApp: vecKey},
		{name: "RC- and plain mixed", h: []string{"rc-app-key", vecKey, "NONCE", vecNonce, "RC-TIMESTAMP", vecTS, "signature", vecSig},
			now: vecTime, window: window, wantApp: vecKey},
		{name: "RC- form wins over plain", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS, "Signature", strings.Repeat("0", 40), "RC-Signature", vecSig},
			now: vecTime, window: window, wantApp: vecKey},
		{name: "seconds timestamp", h: signed(vecKey, vecSecret, vecNonce, "1408710653"),
			now: vecTime, window: window, wantApp: vecKey},
		{name: "milliseconds timestamp", h: signed(vecKey, vecSecret, vecNonce, "1408710653123"),
			now: vecTime, window: window, wantApp: vecKey},
		{name: "nonce with a dot", h: signed(vecKey, vecSecret, "512345.6789012", vecTS),
			now: vecTime, window: window, wantApp: vecKey},
		{name: "19-digit nonce", h: signed(vecKey, vecSecret, "9223372036854775807", vecTS),
			now: vecTime, window: window, wantApp: vecKey},
		{name: "nonce below one", h: signed(vecKey, vecSecret, "0.8396281537", vecTS),
			now: vecTime, window: window, wantApp: vecKey},
		{name: "second app", h: signed("other", "other-secret", "1", vecTS),
			now: vecTime, window: window, wantApp: "other"},

		{name: "missing App-Key", h: []string{"Nonce", vecNonce, "Timestamp", vecTS, "Signature", vecSig},
			now: vecTime, window: window, code: 1002, status: 400, msgHas: "App-Key"},
		{name: "missing Nonce", h: []string{"App-Key", vecKey, "Timestamp", vecTS, "Signature", vecSig},
			now: vecTime, window: window, code: 1002, status: 400, msgHas: "Nonce"},
		{name: "missing Timestamp", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Signature", vecSig},
			now: vecTime, window: window, code: 1002, status: 400, msgHas: "Timestamp"},
		{name: "missing Signature", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS},
			now: vecTime, window: window, code: 1002, status: 400, msgHas: "Signature"},
		{name: "empty Signature", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS, "Signature", ""},
			now: vecTime, window: window, code: 1002, status: 400, msgHas: "Signature"},
		{name: "no headers", now: vecTime, window: window, code: 1002, status: 400},
		{name: "overlong Nonce", h: signed(vecKey, vecSecret, strings.Repeat("1", 257), vecTS),
			now: vecTime, window: window, code: 1002, status: 400, msgHas: "Nonce"},

		{name: "unknown App-Key", h: signed("nobody", vecSecret, vecNonce, vecTS),
			now: vecTime, window: window, code: 1001, status: 401},
		{name: "App-Key differs in case", h: signed(strings.ToUpper(vecKey), vecSecret, vecNonce, vecTS),
			now: vecTime, window: window, code: 1001, status: 401},

		{name: "bad signature", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS, "Signature", "30be0bbca9c9b2e27578701e9fda2358a814c88e"},
			now: vecTime, window: window, code: 1004, status: 401},
		{name: "signed with another app's secret", h: signed(vecKey, "other-secret", vecNonce, vecTS),
			now: vecTime, window: window, code: 1004, status: 401},
		{name: "signature of another nonce", h: []string{"App-Key", vecKey, "Nonce", "14315", "Timestamp", vecTS, "Signature", vecSig},
			now: vecTime, window: window, code: 1004, status: 401},
		// The timestamp is signed as sent: the same instant spelled in seconds is another string.
		{name: "signature of the ms form sent with seconds", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", "1408710653", "Signature", vecSig},
			now: vecTime, window: window, code: 1004, status: 401},
		{name: "truncated signature", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS, "Signature", vecSig[:39]},
			now: vecTime, window: window, code: 1004, status: 401},
		{name: "signature with padding", h: []string{"App-Key", vecKey, "Nonce", vecNonce, "Timestamp", vecTS, "Signature", vecSig + " "},
			now: vecTime, window: window, code: 1004, status: 401},
		{name: "timestamp not a number", h: signed(vecKey, vecSecret, vecNonce, "yesterday"),
			now: vecTime, window: 0, code: 1004, status: 401},
		{name: "timestamp zero", h: signed(vecKey, vecSecret, vecNonce, "0"),
			now: vecTime, window: 0, code: 1004, status: 401},
		{name: "timestamp negative", h: signed(vecKey, vecSecret, vecNonce, "-1408710653000"),
			now: vecTime, window: 0, code: 1004, status: 401},
	}
	reg := registry(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app, err := Verify(headers(tc.h...), reg, tc.now, tc.window)
			checkResult(t, app, err, tc.code, tc.status, tc.msgHas, tc.wantApp)
		})
	}
}

func checkResult(t *testing.T, app apps.App, err error, code, status int, msgHas, wantApp string) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if app.Key != wantApp {
			t.Fatalf("Verify returned app %q, want %q", app.Key, wantApp)
		}
		return
	}
	e, ok := apierr.As(err)
	if !ok {
		t.Fatalf("Verify returned %v, want API error %d", err, code)
	}
	if e.Code != code || e.Status != status {
		t.Fatalf("Verify returned %d/%d (%s), want %d/%d", e.Code, e.Status, e.Message, code, status)
	}
	if !strings.Contains(e.Message, msgHas) {
		t.Errorf("message %q does not name %q", e.Message, msgHas)
	}
	if app != (apps.App{}) {
		t.Errorf("failed Verify returned app %q", app.Key)
	}
}

func TestVerifyWindowEdges(t *testing.T) {
	reg := registry(t)
	const window = 5 * time.Minute
	for _, tc := range []struct {
		name string
		ts   string
		at   time.Time // the instant the timestamp names
	}{
		{"milliseconds", "1408710653123", time.UnixMilli(1408710653123)},
		{"seconds", "1408710653", time.Unix(1408710653, 0)},
	} {
		h := headers(signed(vecKey, vecSecret, vecNonce, tc.ts)...)
		for _, step := range []struct {
			name string
			now  time.Time
			ok   bool
		}{
			{"same instant", tc.at, true},
			{"exactly window late", tc.at.Add(window), true},
			{"one ms past window late", tc.at.Add(window + time.Millisecond), false},
			{"exactly window early", tc.at.Add(-window), true},
			{"one ms past window early", tc.at.Add(-window - time.Millisecond), false},
			{"a day late", tc.at.Add(24 * time.Hour), false},
		} {
			t.Run(tc.name+"/"+step.name, func(t *testing.T) {
				_, err := Verify(h, reg, step.now, window)
				if step.ok {
					if err != nil {
						t.Fatalf("rejected: %v", err)
					}
					return
				}
				e, ok := apierr.As(err)
				if !ok || e.Code != apierr.BadSignature || e.Status != http.StatusUnauthorized {
					t.Fatalf("got %v, want 1004/401", err)
				}
			})
		}
	}
}

// One old official SDK signs once at start-up and reuses the headers; window 0 serves it.
func TestVerifyWindowOff(t *testing.T) {
	reg := registry(t)
	h := headers(signed(vecKey, vecSecret, vecNonce, "1408710653")...)
	for _, now := range []time.Time{vecTime.AddDate(10, 0, 0), vecTime.AddDate(-10, 0, 0), time.Unix(0, 0)} {
		if _, err := Verify(h, reg, now, 0); err != nil {
			t.Errorf("window 0 at %v: %v", now, err)
		}
	}
	// The signature is still checked with the window off.
	bad := headers("App-Key", vecKey, "Nonce", vecNonce, "Timestamp", "1408710653", "Signature", vecSig)
	if _, err := Verify(bad, reg, vecTime, 0); err == nil {
		t.Error("window 0 accepted a bad signature")
	}
}

// Extreme timestamps must not overflow into the window.
func TestVerifyExtremeTimestamps(t *testing.T) {
	reg := registry(t)
	for _, ts := range []string{"9223372036854775807", "999999999999", "1000000000000", "1"} {
		h := headers(signed(vecKey, vecSecret, vecNonce, ts)...)
		if _, err := Verify(h, reg, vecTime, 5*time.Minute); err == nil {
			t.Errorf("timestamp %s accepted at %v", ts, vecTime)
		}
		if _, err := Verify(h, reg, vecTime, 0); err != nil {
			t.Errorf("timestamp %s rejected with the window off: %v", ts, err)
		}
	}
}

func TestParseTimestampUnits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"1408710653", time.Unix(1408710653, 0)},
		{"1408710653000", time.UnixMilli(1408710653000)},
		{"1408710653999", time.UnixMilli(1408710653999)},
		{"999999999999", time.Unix(999999999999, 0)},
		{"1000000000000", time.UnixMilli(1000000000000)},
	} {
		got, ok := parseTimestamp(tc.in)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("parseTimestamp(%s) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1.5", "1e12", " 1", "0x10", "99999999999999999999"} {
		if _, ok := parseTimestamp(bad); ok {
			t.Errorf("parseTimestamp(%q) accepted", bad)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vecKey, vecNonce, vecTS, vecSig, false, false, int64(1408710653000), int64(300000))
	f.Add(vecKey, vecNonce, vecTS, strings.ToUpper(vecSig), true, false, int64(1408710653000), int64(0))
	f.Add(vecKey, "0.123", "1408710653", "", false, true, int64(1408710953000), int64(300000))
	f.Add(vecKey, "9223372036854775807", "1408710653001", "", true, true, int64(1408710353000), int64(300000))
	f.Add("other", "n", "9223372036854775807", "", false, true, int64(0), int64(1))
	f.Add("nobody", vecNonce, vecTS, vecSig, false, false, int64(1408710653000), int64(300000))
	f.Add(vecKey, "", vecTS, vecSig, false, false, int64(0), int64(0))
	f.Add(vecKey, vecNonce, "-1", vecSig, true, false, int64(-1), int64(-1))
	reg := registry(f)
	secrets := map[string]string{vecKey: vecSecret, "other": "other-secret"}

	f.Fuzz(func(t *testing.T, key, nonce, ts, sig string, rc, fix bool, nowMS, windowMS int64) {
		if fix {
			// Let the fuzzer reach the timestamp and window logic with a right signature.
			sig = Sign(secrets[key], nonce, ts)
		}
		prefix := ""
		if rc {
			prefix = "RC-"
		}
		h := headers(prefix+"App-Key", key, prefix+"Nonce", nonce, prefix+"Timestamp", ts, prefix+"Signature", sig)
		window := time.Duration(windowMS) * time.Millisecond
		now := time.UnixMilli(nowMS)
		app, err := Verify(h, reg, now, window)
		if err != nil {
			e, ok := apierr.As(err)
			if !ok {
				t.Fatalf("Verify returned a non-API error %v", err)
			}
			switch e.Code {
			case apierr.BadParam, apierr.AppKeyMismatch, apierr.BadSignature:
			default:
				t.Fatalf("unexpected code %d", e.Code)
			}
			if e.Status != apierr.StatusOf(e.Code) {
				t.Fatalf("code %d with status %d", e.Code, e.Status)
			}
			if fix && secrets[key] != "" && window <= 0 && nonce != "" && len(nonce) <= 256 && len(ts) <= 256 {
				if n, perr := strconv.ParseInt(ts, 10, 64); perr == nil && n > 0 {
					t.Fatalf("a rightly signed request with the window off was refused: %v", err)
				}
			}
			return
		}
		secret, known := secrets[key]
		if !known || app.Key != key || app.Secret != secret {
			t.Fatalf("accepted key %q as app %q", key, app.Key)
		}
		if strings.ToLower(sig) != Sign(secret, nonce, ts) {
			t.Fatalf("accepted a wrong signature %q for nonce %q timestamp %q", sig, nonce, ts)
		}
		if window > 0 {
			when, ok := parseTimestamp(ts)
			if !ok {
				t.Fatalf("accepted timestamp %q", ts)
			}
			if d := now.Sub(when); d > window || d < -window {
				t.Fatalf("accepted timestamp %q at %v outside window %v", ts, now, window)
			}
		}
	})
}
