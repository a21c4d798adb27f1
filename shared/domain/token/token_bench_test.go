package token_test

import (
	"testing"
	"time"

	"imusers/shared/domain/token"
)

var benchKey = []byte("0123456789abcdef0123456789abcdef")

func benchKeys(app string) ([]byte, bool) { return benchKey, app == "bench-app" }

// BenchmarkIssue is the token getToken hands out.
func BenchmarkIssue(b *testing.B) {
	c := token.Claims{AppKey: "bench-app", UserID: "user-0123456789", IssuedAt: time.UnixMilli(1_800_000_000_000)}
	b.ReportAllocs()
	for b.Loop() {
		token.Issue(benchKey, c)
	}
}

// BenchmarkParse is the check every connect runs before its one DynamoDB read.
func BenchmarkParse(b *testing.B) {
	tok := token.Issue(benchKey, token.Claims{AppKey: "bench-app", UserID: "user-0123456789", IssuedAt: time.UnixMilli(1_800_000_000_000)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := token.Parse(tok, benchKeys); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseForged is a token whose signature does not hold: refusing it must cost no more
// than accepting a good one.
func BenchmarkParseForged(b *testing.B) {
	tok := token.Issue([]byte("another key entirely, not the app's"), token.Claims{AppKey: "bench-app", UserID: "user-0123456789", IssuedAt: time.UnixMilli(1_800_000_000_000)})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := token.Parse(tok, benchKeys); err == nil {
			b.Fatal("forged token accepted")
		}
	}
}
