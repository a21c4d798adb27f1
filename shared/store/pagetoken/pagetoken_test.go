package pagetoken

import (
	"bytes"
	"strings"
	"testing"
)

var (
	keyA = Key([]byte("app A signing key"))
	keyB = Key([]byte("app B signing key"))
)

func TestRoundTrip(t *testing.T) {
	for _, payload := range [][]byte{nil, {}, []byte("0001700000000000#bob"), bytes.Repeat([]byte{0xff}, 300)} {
		tok := Seal(keyA, "BL\x00alice", payload)
		got, err := Open(keyA, "BL\x00alice", tok)
		if err != nil {
			t.Fatalf("Open(Seal(%q)) = %v", payload, err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("Open(Seal(%q)) = %q", payload, got)
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token %q is not URL- and form-safe", tok)
		}
	}
}

func TestWrongScopeOrKeyIsRefused(t *testing.T) {
	tok := Seal(keyA, "BL\x00alice", []byte("cursor"))
	for _, tc := range []struct {
		name  string
		key   []byte
		scope string
	}{
		{"another user", keyA, "BL\x00bob"},
		{"another list", keyA, "WL\x00alice"},
		{"another app", keyB, "BL\x00alice"},
		{"empty scope", keyA, ""},
	} {
		if _, err := Open(tc.key, tc.scope, tok); err != ErrInvalid {
			t.Errorf("%s: Open = %v, want ErrInvalid", tc.name, err)
		}
	}
}

// Scope and payload are not simply concatenated: moving bytes from one to the other must not
// produce a token that opens.
func TestScopePayloadBoundary(t *testing.T) {
	tok := Seal(keyA, "BL\x00ab", []byte("c"))
	if _, err := Open(keyA, "BL\x00a", tok); err != ErrInvalid {
		t.Fatalf("a token opened under a shorter scope: %v", err)
	}
}

func TestEveryAlteredCharacterIsRefused(t *testing.T) {
	tok := Seal(keyA, "FR\x00alice", []byte("0001700000000000#bob"))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := range tok {
		for _, c := range []byte(alphabet) {
			if c == tok[i] {
				continue
			}
			bad := tok[:i] + string(c) + tok[i+1:]
			if _, err := Open(keyA, "FR\x00alice", bad); err == nil {
				t.Fatalf("token with character %d changed to %q opened", i, c)
			}
		}
	}
	for _, bad := range []string{tok[:len(tok)-1], tok + "A", "", "!!!", strings.Repeat("A", MaxLen+1),
		tok[:5] + "\r\n" + tok[5:], tok + "\n", " " + tok} {
		if _, err := Open(keyA, "FR\x00alice", bad); err == nil {
			t.Fatalf("token %q opened", bad)
		}
	}
}

func TestKeyDependsOnSecret(t *testing.T) {
	if bytes.Equal(keyA, keyB) || bytes.Equal(Key(nil), keyA) {
		t.Fatal("different secrets gave the same key")
	}
	if !bytes.Equal(Key([]byte("app A signing key")), keyA) {
		t.Fatal("Key is not deterministic")
	}
}

// FuzzOpen feeds arbitrary strings to Open: it must never panic, must never accept what it was
// not given by Seal, and a sealed payload must come back whole.
func FuzzOpen(f *testing.F) {
	f.Add(Seal(keyA, "BL\x00alice", []byte("0001700000000000#bob")), []byte("x"))
	f.Add("", []byte(nil))
	f.Add("AQ", []byte{0})
	f.Fuzz(func(t *testing.T, tok string, payload []byte) {
		if got, err := Open(keyA, "BL\x00alice", tok); err == nil {
			// Only a sealed token opens; re-sealing what came out must give the same token.
			if Seal(keyA, "BL\x00alice", got) != tok {
				t.Fatalf("Open accepted %q, which Seal would not produce", tok)
			}
		}
		sealed := Seal(keyA, "BL\x00alice", payload)
		if len(sealed) > MaxLen {
			return
		}
		got, err := Open(keyA, "BL\x00alice", sealed)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("round trip of %q: %q, %v", payload, got, err)
		}
	})
}
