package form_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"imusers/shared/wire/form"
)

// BenchmarkParseGetToken is the body of the most frequent call.
func BenchmarkParseGetToken(b *testing.B) {
	body := url.Values{"userId": {"user-0123456789"}, "name": {"Zoë 名前"}, "portraitUri": {"https://img.example.com/u/0123456789.png?size=200"}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		v, err := form.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		r := form.NewReader(v)
		r.UserID("userId")
		r.RequiredText("name", 64)
		r.Bytes("portraitUri", 1024)
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
}

// BenchmarkParseBatch is the largest list a call takes: 100 userIds, comma-joined.
func BenchmarkParseBatch(b *testing.B) {
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%06d", i)
	}
	body := "userId=" + url.QueryEscape(strings.Join(ids, ","))
	b.ReportAllocs()
	for b.Loop() {
		v, err := form.Parse(body)
		if err != nil {
			b.Fatal(err)
		}
		if got := form.NewReader(v).UserIDs("userId", 100); len(got) != 100 {
			b.Fatalf("%d ids", len(got))
		}
	}
}
