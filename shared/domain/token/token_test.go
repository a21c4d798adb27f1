package token

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var (
	keyA = []byte("key of app A, 32 bytes long.....")
	keyB = []byte("key of app B, 32 bytes long.....")
)

// keys answers for apps A and B only, and counts how often it is asked.
type keys struct{ asked int }

func (k *keys) For(app string) ([]byte, bool) {
	k.asked++
	switch app {
	case "A":
		return keyA, true
	case "B":
		return keyB, true
	}
	return nil, false
}

func TestIssueParseRoundTrip(t *testing.T) {
	tests := []Claims{
		{AppKey: "A", UserID: "u1", IssuedAt: time.UnixMilli(1408710653123)},
		{AppKey: "A", UserID: strings.Repeat("u", 64), IssuedAt: time.UnixMilli(0)},
		{AppKey: "B", UserID: "user_=+-9", IssuedAt: time.UnixMilli(1<<53 - 1)},
		{AppKey: "A", UserID: "\x00ünï\xff", IssuedAt: time.UnixMilli(1)},
	}
	k := &keys{}
	for _, c := range tests {
		key, _ := k.For(c.AppKey)
		tok := Issue(key, c)
		if len(tok) > MaxLen {
			t.Fatalf("token of %d bytes exceeds MaxLen", len(tok))
		}
		got, err := Parse(tok, k.For)
		if err != nil {
			t.Fatalf("Parse(Issue(%+v)): %v", c, err)
		}
		if got.AppKey != c.AppKey || got.UserID != c.UserID || !got.IssuedAt.Equal(c.IssuedAt) {
			t.Fatalf("Parse gave %+v, want %+v", got, c)
		}
	}
}

// The issue time travels at millisecond precision: what is finer is dropped, not rounded.
func TestIssuedAtIsMilliseconds(t *testing.T) {
	at := time.Unix(1408710653, 123_999_999)
	tok := Issue(keyA, Claims{AppKey: "A", UserID: "u", IssuedAt: at})
	got, err := Parse(tok, (&keys{}).For)
	if err != nil {
		t.Fatal(err)
	}
	if got.IssuedAt.UnixMilli() != 1408710653123 || got.IssuedAt.Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatalf("IssuedAt = %v (%d ms), want 1408710653123 ms exactly", got.IssuedAt, got.IssuedAt.UnixMilli())
	}
}

func TestTokensForSameClaimsDiffer(t *testing.T) {
	c := Claims{AppKey: "A", UserID: "u", IssuedAt: time.UnixMilli(42)}
	seen := map[string]bool{}
	for range 50 {
		tok := Issue(keyA, c)
		if seen[tok] {
			t.Fatalf("token %s issued twice", tok)
		}
		seen[tok] = true
	}
}

func TestTokenOfOneAppFailsWithAnothersKey(t *testing.T) {
	tok := Issue(keyA, Claims{AppKey: "A", UserID: "u", IssuedAt: time.UnixMilli(1)})
	onlyB := func(string) ([]byte, bool) { return keyB, true }
	if _, err := Parse(tok, onlyB); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token signed with A's key parsed with B's key: %v", err)
	}
	// A token that claims app B but is signed with A's key fails too.
	forged := Issue(keyA, Claims{AppKey: "B", UserID: "u", IssuedAt: time.UnixMilli(1)})
	if _, err := Parse(forged, (&keys{}).For); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token claiming B signed with A's key was accepted: %v", err)
	}
	// An app that is no longer configured invalidates its tokens.
	gone := Issue(keyA, Claims{AppKey: "C", UserID: "u", IssuedAt: time.UnixMilli(1)})
	if _, err := Parse(gone, (&keys{}).For); !errors.Is(err, ErrInvalid) {
		t.Fatalf("token of an unknown app was accepted: %v", err)
	}
}

func TestParseRejectsMalformed(t *testing.T) {
	good := Issue(keyA, Claims{AppKey: "A", UserID: "u", IssuedAt: time.UnixMilli(1)})
	body, sig, _ := strings.Cut(good, ".")
	payload, _ := enc.DecodeString(body)
	resign := func(p []byte) string { return enc.EncodeToString(p) + "." + enc.EncodeToString(mac(keyA, p)) }
	withVersion := func(v byte) string { p := bytes.Clone(payload); p[0] = v; return resign(p) }
	noUser := append([]byte{version, 1, 'A', 0}, payload[len(payload)-12:]...)
	negative := bytes.Clone(payload)
	binary.BigEndian.PutUint64(negative[len(negative)-12:], 1<<63)
	hugeLen := append([]byte{version}, binary.AppendUvarint(nil, 1<<62)...)

	for name, tok := range map[string]string{
		"empty":                      "",
		"no dot":                     body + sig,
		"empty body":                 "." + sig,
		"empty mac":                  body + ".",
		"two dots":                   body + "." + sig + ".",
		"standard alphabet":          strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/",
		"padding":                    body + "." + sig + "==",
		"short mac":                  body + "." + sig[:len(sig)-2],
		"long mac":                   body + "." + sig + "AA",
		"CR inside":                  body[:3] + "\r" + body[3:] + "." + sig,
		"LF inside":                  body + "." + sig[:5] + "\n" + sig[5:],
		"space inside":               body + " ." + sig,
		"wrong version":              withVersion(2),
		"version zero":               withVersion(0),
		"no user":                    resign(noUser),
		"negative time":              resign(negative),
		"length beyond payload":      resign(hugeLen),
		"trailing byte":              resign(append(bytes.Clone(payload), 0)),
		"missing salt byte":          resign(payload[:len(payload)-1]),
		"only the version":           resign([]byte{version}),
		"mac of another payload":     body + "." + enc.EncodeToString(mac(keyA, []byte("x"))),
		"swapped body and signature": sig + "." + body,
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := Parse(tok, (&keys{}).For); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) = %+v, %v; want ErrInvalid", tok, c, err)
			}
		})
	}
}

// Hostile input must cost nothing: a long string is refused before any decoding, allocation or
// key lookup.
func TestOverlongRejectedCheaply(t *testing.T) {
	good := Issue(keyA, Claims{AppKey: "A", UserID: "u", IssuedAt: time.UnixMilli(1)})
	long := good + strings.Repeat("A", MaxLen)
	huge := strings.Repeat("A", 1<<20) + "." + strings.Repeat("A", 22)
	k := &keys{}
	for _, tok := range []string{long, huge} {
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := Parse(tok, k.For); !errors.Is(err, ErrInvalid) {
				t.Fatal("overlong token accepted")
			}
		})
		if allocs != 0 {
			t.Errorf("refusing a %d-byte token allocated %v times", len(tok), allocs)
		}
	}
	if k.asked != 0 {
		t.Errorf("keyFor asked %d times for overlong tokens", k.asked)
	}
}

// A token whose shape is wrong is refused without looking up a key.
func TestMalformedNeverLooksUpKey(t *testing.T) {
	k := &keys{}
	for _, tok := range []string{"", ".", "abc", "!!.!!", "AQ.AAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := Parse(tok, k.For); err == nil {
			t.Fatalf("Parse(%q) accepted", tok)
		}
	}
	if k.asked != 0 {
		t.Errorf("keyFor asked %d times", k.asked)
	}
}

// randomClaims draws the claims the service issues: an app key and a userId of 1..64 bytes.
func randomClaims(r *rand.Rand) Claims {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_=+-"
	id := make([]byte, 1+r.IntN(64))
	for i := range id {
		id[i] = alphabet[r.IntN(len(alphabet))]
	}
	app := "A"
	if r.IntN(2) == 1 {
		app = "B"
	}
	return Claims{AppKey: app, UserID: string(id), IssuedAt: time.UnixMilli(r.Int64N(1 << 45))}
}

// Property: any single-byte change, any truncation and any extension of a valid token fails.
// The random source is seeded so that a failure names a case that can be replayed.
func TestPropertyTamperedTokensFail(t *testing.T) {
	const seed = 20260101
	r := rand.New(rand.NewPCG(seed, 0))
	k := &keys{}
	for n := range 40 {
		c := randomClaims(r)
		key, _ := k.For(c.AppKey)
		tok := Issue(key, c)
		got, err := Parse(tok, k.For)
		if err != nil || got.UserID != c.UserID || got.AppKey != c.AppKey || !got.IssuedAt.Equal(c.IssuedAt) {
			t.Fatalf("case %d (seed %d): round trip of %+v gave %+v, %v", n, seed, c, got, err)
		}
		for i := range len(tok) {
			for b := range 256 {
				if byte(b) == tok[i] {
					continue
				}
				m := tok[:i] + string([]byte{byte(b)}) + tok[i+1:]
				if _, err := Parse(m, k.For); err == nil {
					t.Fatalf("case %d (seed %d): %q with byte %d set to %#x was accepted", n, seed, tok, i, b)
				}
			}
		}
		for l := range len(tok) {
			if _, err := Parse(tok[:l], k.For); err == nil {
				t.Fatalf("case %d (seed %d): truncation of %q to %d bytes was accepted", n, seed, tok, l)
			}
		}
		for _, extra := range []string{"A", "=", ".", "\n", " "} {
			for _, m := range []string{tok + extra, extra + tok} {
				if _, err := Parse(m, k.For); err == nil {
					t.Fatalf("case %d (seed %d): %q was accepted", n, seed, m)
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Issue(keyA, Claims{AppKey: "A", UserID: "u1", IssuedAt: time.UnixMilli(1408710653123)}))
	f.Add(Issue(keyB, Claims{AppKey: "B", UserID: strings.Repeat("z", 64), IssuedAt: time.UnixMilli(0)}))
	f.Add(Issue(keyA, Claims{AppKey: "B", UserID: "u1", IssuedAt: time.UnixMilli(1)}))
	f.Add("")
	f.Add(".")
	f.Add("AQFBAXUAAAAAAAAAAQAAAAA.AAAAAAAAAAAAAAAAAAAAAA")
	f.Add(strings.Repeat("A", MaxLen+1))
	f.Fuzz(func(t *testing.T, tok string) {
		k := &keys{}
		c, err := Parse(tok, k.For)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		// Accepted: the string must be exactly what Issue writes for these claims under the
		// app's own key, so nothing but the signer can have made it.
		key, ok := k.For(c.AppKey)
		if !ok {
			t.Fatalf("accepted a token of unknown app %q", c.AppKey)
		}
		body, _, _ := strings.Cut(tok, ".")
		payload, err := enc.DecodeString(body)
		if err != nil || len(payload) < 12 {
			t.Fatalf("accepted %q whose body does not decode", tok)
		}
		want := []byte{version}
		want = binary.AppendUvarint(want, uint64(len(c.AppKey)))
		want = append(want, c.AppKey...)
		want = binary.AppendUvarint(want, uint64(len(c.UserID)))
		want = append(want, c.UserID...)
		want = binary.BigEndian.AppendUint64(want, uint64(c.IssuedAt.UnixMilli()))
		want = append(want, payload[len(payload)-4:]...)
		canonical := enc.EncodeToString(want) + "." + enc.EncodeToString(mac(key, want))
		if tok != canonical {
			t.Fatalf("accepted %q, which is not the token the signer wrote (%q)", tok, canonical)
		}
	})
}
