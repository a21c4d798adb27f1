package httpevent

import (
	"context"
	"strings"
	"testing"
	"time"

	"imusers/shared/wire/form"
)

// Headers answers as Header does, with its shortcut only where no name needs folding.
func TestHeaders(t *testing.T) {
	maps := []map[string]string{
		nil,
		{"app-key": "a", "nonce": "n", "rc-nonce": "r"},
		{"App-Key": "a", "nonce": "n"},
		{"app-\u212aey": "kelvin", "nonce": "n"}, // KELVIN SIGN folds to k
		{"RC-NONCE": "r"},
	}
	for _, h := range maps {
		for _, name := range []string{"app-key", "nonce", "rc-nonce", "x-request-id"} {
			if got, want := Headers(h)(name), Header(h, name); got != want {
				t.Errorf("Headers(%v)(%q) = %q, Header gives %q", h, name, got, want)
			}
		}
	}
}

// The limit holds a 512 KiB body whether it comes as text or as base64.
func TestTooLarge(t *testing.T) {
	b64 := (form.MaxBody + 2) / 3 * 4
	for _, tc := range []struct {
		n    int
		want bool
	}{{0, false}, {form.MaxBody, false}, {b64, false}, {b64 + 5, true}} {
		if got := TooLarge(Event{Body: strings.Repeat("a", tc.n)}); got != tc.want {
			t.Errorf("TooLarge(%d bytes) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

func TestWithAnswerMargin(t *testing.T) {
	deadline := time.Now().Add(time.Minute)
	parent, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	ctx, cancel := WithAnswerMargin(parent)
	defer cancel()
	if got, ok := ctx.Deadline(); !ok || !got.Equal(deadline.Add(-AnswerMargin)) {
		t.Errorf("deadline %v, want %v", got, deadline.Add(-AnswerMargin))
	}
	ctx, cancel = WithAnswerMargin(context.Background())
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Error("a deadline where there was none")
	}
}
