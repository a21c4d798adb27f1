package signature_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/wire/signature"
)

// BenchmarkVerify is the signature check every Server API call pays before any work: header
// lookups, the app's registry, the timestamp window and a SHA1.
func BenchmarkVerify(b *testing.B) {
	list := make([]apps.App, 50)
	for i := range list {
		list[i] = apps.App{Key: fmt.Sprint("app-", i), Secret: fmt.Sprint("secret-", i), Environment: apps.Production}
	}
	reg, err := apps.NewRegistry(list)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	// As API Gateway hands them over: lowercase names.
	h := map[string]string{
		"app-key":   "app-7",
		"nonce":     "8f3a9c21d0e4b7a6",
		"timestamp": ts,
		"signature": signature.Sign("secret-7", "8f3a9c21d0e4b7a6", ts),
	}
	get := func(name string) string { return h[name] }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signature.Verify(get, reg, now, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		signature.Sign("Y1W2MeFwwwRxa0", "14314", "1408710653000")
	}
}
