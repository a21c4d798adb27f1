package abuse_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"imusers/shared/apps"
	"imusers/shared/service"
	"imusers/shared/testenv"
	"imusers/shared/wire/signature"
)

// Header tricks: names in any case, a header sent twice, the RC- and plain forms both present
// with different values. The RC- form always decides, there is no second try with the other
// form, and a repeated header is read as API Gateway hands it over (values joined by commas),
// which no signature made for one of the values matches.
func TestHeaderTricks(t *testing.T) {
	a, b := testenv.NewApp(apps.Production), testenv.NewApp(apps.Production)
	s := testenv.StartStack(t, a, b)
	s.Client(0).MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice of A"))
	s.Client(1).MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice of B"))
	body := form("userId", "alice").Encode()
	ts := fmt.Sprint(time.Now().Unix())
	wrongSig := header{"Signature", strings.Repeat("0", 40)}

	cases := []struct {
		name    string
		headers []header
		status  int
		code    int
		from    string // whose alice answers, for accepted requests
	}{
		{"names in odd case", []header{
			{"aPP-kEY", a.Key}, {"NONCE", "n1"}, {"timestamp", ts}, {"SiGnAtUrE", signature.Sign(a.Secret, "n1", ts)},
		}, 200, 200, "Alice of A"},
		{"RC- names in odd case", []header{
			{"rc-app-key", a.Key}, {"Rc-Nonce", "n2"}, {"RC-TIMESTAMP", ts}, {"rC-sIgNaTuRe", signature.Sign(a.Secret, "n2", ts)},
		}, 200, 200, "Alice of A"},
		{"RC- right, plain wrong: RC- decides", append(signed("RC-", a.Key, a.Secret, "n3", ts),
			header{"App-Key", b.Key}, header{"Nonce", "zzz"}, header{"Timestamp", "1"}, wrongSig), 200, 200, "Alice of A"},
		{"RC- wrong, plain right: no fallback", append(signed("", a.Key, a.Secret, "n4", ts),
			header{"RC-Signature", strings.Repeat("0", 40)}), 401, 1004, ""},
		{"RC-App-Key of B over a request signed for A", append(signed("", a.Key, a.Secret, "n5", ts),
			header{"RC-App-Key", b.Key}), 401, 1004, ""},
		{"RC-App-Key of B with B's signature, plain headers of A", append(signed("", a.Key, a.Secret, "n6", ts),
			signed("RC-", b.Key, b.Secret, "n6", ts)...), 200, 200, "Alice of B"},
		{"empty RC- values fall back to the plain form", append(signed("", a.Key, a.Secret, "n7", ts),
			header{"RC-Nonce", ""}, header{"RC-Signature", ""}), 200, 200, "Alice of A"},
		{"App-Key twice", append(signed("", a.Key, a.Secret, "n8", ts), header{"App-Key", a.Key}), 401, 1001, ""},
		{"Signature twice", append(signed("", a.Key, a.Secret, "n9", ts), header{"Signature", signature.Sign(a.Secret, "n9", ts)}), 401, 1004, ""},
		{"Nonce twice, signed for the first", append(signed("", a.Key, a.Secret, "n10", ts), header{"Nonce", "other"}), 401, 1004, ""},
		{"Timestamp twice", append(signed("", a.Key, a.Secret, "n11", ts), header{"Timestamp", ts}), 401, 1004, ""},
		{"a signature in upper case", []header{
			{"App-Key", a.Key}, {"Nonce", "n12"}, {"Timestamp", ts}, {"Signature", strings.ToUpper(signature.Sign(a.Secret, "n12", ts))},
		}, 200, 200, "Alice of A"},
		{"a header of 257 bytes", []header{
			{"App-Key", a.Key}, {"Nonce", strings.Repeat("9", 257)}, {"Timestamp", ts}, {"Signature", signature.Sign(a.Secret, strings.Repeat("9", 257), ts)},
		}, 400, 1002, ""},
		{"no signature headers", nil, 400, 1002, ""},
		{"App-Key and nothing else", []header{{"App-Key", a.Key}}, 400, 1002, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, s.URL, "/user/info.json", formType, body, tc.headers)
			expect(t, tc.name, res, tc.status, tc.code)
			if tc.from != "" && res.Body["userName"] != tc.from {
				t.Errorf("answered %s, want the data of %q", res.Raw, tc.from)
			}
			if tc.code != 200 && strings.Contains(res.Raw, "Alice") {
				t.Errorf("a refused request saw user data: %s", res.Raw)
			}
		})
	}
}

// The timestamp window is inclusive, to the millisecond, on both sides, in seconds and in
// milliseconds; timestamps that are not a positive whole number are refused; with the window
// switched off, any well-formed timestamp passes.
func TestTimestampWindowEdges(t *testing.T) {
	frozen := time.UnixMilli(1_780_000_000_123)
	const window = 300 * time.Second
	s := testenv.StartStackWith(t, testenv.Options{Configure: func(c *service.Config) { c.SignatureWindow = window }})
	// The signature check alone sees a stopped clock, so the edges can be hit to the millisecond.
	// Set before the first request; requests only read it.
	s.Service.HTTP.Now = func() time.Time { return frozen }
	at := func(d time.Duration) time.Time { return frozen.Add(d) }
	c := s.Client(0)
	c.Now = func() time.Time { return frozen }
	c.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))

	ms := func(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }
	sec := func(t time.Time) string { return fmt.Sprint(t.Unix()) }
	cases := []struct {
		name, ts string
		ok       bool
	}{
		{"ms, on the past edge", ms(at(-window)), true},
		{"ms, 1 ms past the past edge", ms(at(-window - time.Millisecond)), false},
		{"ms, on the future edge", ms(at(window)), true},
		{"ms, 1 ms past the future edge", ms(at(window + time.Millisecond)), false},
		{"seconds, inside", sec(at(-window + time.Second)), true},
		{"seconds, outside", sec(at(-window - time.Second)), false},
		{"seconds, a day ahead", sec(at(24 * time.Hour)), false},
		{"zero", "0", false},
		{"negative", "-1780000000", false},
		{"a sign", "+" + sec(frozen), true}, // signed as sent, read as a number
		{"not a number", "soon", false},
		{"a float", "1780000000.5", false},
		{"overflows int64", "99999999999999999999", false},
		{"year 33658 in seconds", "999999999999", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, s.URL, "/user/info.json", formType, "userId=alice", signed("", s.Apps[0].Key, s.Apps[0].Secret, testenv.RandomID(), tc.ts))
			if tc.ok {
				expect(t, tc.ts, res, 200, 200)
			} else {
				expect(t, tc.ts, res, 401, 1004)
			}
		})
	}

	off := testenv.StartStackWith(t, testenv.Options{Configure: func(c *service.Config) { c.SignatureWindow = 0 }})
	old := off.Client(0)
	old.Now = func() time.Time { return time.Date(2001, 9, 9, 1, 46, 40, 0, time.UTC) }
	old.MustOK(t, "/user/getToken.json", form("userId", "alice", "name", "Alice"))
	res := send(t, off.URL, "/user/info.json", formType, "userId=alice", signed("", off.Apps[0].Key, off.Apps[0].Secret, "n", "soon"))
	expect(t, "window off, timestamp not a number", res, 401, 1004)
}
