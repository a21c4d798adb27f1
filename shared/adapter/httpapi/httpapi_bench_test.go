package httpapi_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"testing"
	"time"

	"imusers/shared/adapter/httpapi"
	"imusers/shared/api/call"
	"imusers/shared/apps"
	"imusers/shared/wire/signature"
)

// BenchmarkServe is everything a Server API function does besides its DynamoDB calls: decode
// the base64 form body, check the signature, read the parameters, shape the JSON answer and
// log one line. It is the floor under the "service time" of the benchmark report.
func BenchmarkServe(b *testing.B) {
	app := apps.App{Key: "bench-app", Secret: "bench-secret", Environment: apps.Production}
	reg, err := apps.NewRegistry([]apps.App{app})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	srv := &httpapi.Server{Apps: reg, Window: 5 * time.Minute, Now: func() time.Time { return now }, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	ts := strconv.FormatInt(now.Unix(), 10)
	body := url.Values{"userId": {"user-0123456789"}}.Encode()
	ev := httpapi.Event{
		Headers: map[string]string{
			"app-key": app.Key, "nonce": "8f3a9c21d0e4b7a6", "timestamp": ts,
			"signature":    signature.Sign(app.Secret, "8f3a9c21d0e4b7a6", ts),
			"content-type": "application/x-www-form-urlencoded", "x-request-id": "bench",
		},
		Body:            base64.StdEncoding.EncodeToString([]byte(body)),
		IsBase64Encoded: true,
	}
	op := func(_ context.Context, r *call.Request) (any, error) {
		id := r.Params.UserID("userId")
		if err := r.Params.Err(); err != nil {
			return nil, err
		}
		return struct {
			Name       string `json:"userName"`
			Portrait   string `json:"userPortrait"`
			CreateTime string `json:"createTime"`
		}{id, "https://img.example.com/p.png", "2027-01-15 08:00:00"}, nil
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if resp := srv.Serve(ctx, "userInfo", op, ev); resp.StatusCode != 200 {
			b.Fatalf("HTTP %d %s", resp.StatusCode, resp.Body)
		}
	}
}
