package awserr_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"imusers/shared/awserr"
)

func answer(status int, header, body string) *http.Response {
	res := &http.Response{StatusCode: status, Header: http.Header{}}
	if header != "" {
		res.Header.Set("X-Amzn-ErrorType", header)
	}
	return res
}

func TestFromAnswerReadsCodeAndMessage(t *testing.T) {
	for _, tc := range []struct{ header, body, code, message string }{
		{"ThrottlingException:http://internal", `{"message":"slow down"}`, "ThrottlingException", "slow down"},
		{"", `{"__type":"com.amazonaws.ssm#ParameterNotFound","Message":"no such"}`, "ParameterNotFound", "no such"},
		{"", `{"Type":"User","message":"bad"}`, "User", "bad"},
		{"", `<html>`, "", ""},
	} {
		e := awserr.FromAnswer("op", answer(400, tc.header, tc.body), []byte(tc.body))
		if e.Code != tc.code || e.Message != tc.message || e.ErrorCode() != tc.code || e.HTTPStatusCode() != 400 {
			t.Errorf("%s %s: got %+v", tc.header, tc.body, e)
		}
		if !strings.HasPrefix(e.Error(), "op: ") {
			t.Errorf("error %q does not name the call", e.Error())
		}
	}
}

// A long message is cut between characters, never inside one, and what is kept reads the same
// when it comes back (a client that re-reads its own errors gets the same text).
func TestFromAnswerCutsBetweenCharacters(t *testing.T) {
	body := `{"message":"x` + strings.Repeat("é", 200) + `"}`
	msg := awserr.FromAnswer("op", answer(400, "", body), []byte(body)).Message
	if !utf8.ValidString(msg) || !strings.HasSuffix(msg, "é…") {
		t.Fatalf("message %q is not cut between characters", msg)
	}
	again := `{"message":"` + msg + `"}`
	if got := awserr.FromAnswer("op", answer(400, "", again), []byte(again)).Message; got != msg {
		t.Fatalf("read again, the message changed:\n%q\n%q", got, msg)
	}
}

// Whatever AWS (or anything posing as it) answers, the error is one short line of UTF-8.
func FuzzFromAnswer(f *testing.F) {
	f.Add("ThrottlingException", `{"message":"x"}`)
	f.Add("", `{"__type":"a#B","Message":"line\nbreak"}`)
	f.Fuzz(func(t *testing.T, header, body string) {
		if strings.ContainsAny(header, "\r\n") {
			return // not a header value
		}
		msg := awserr.FromAnswer("op", answer(500, header, body), []byte(body)).Error()
		if strings.ContainsAny(msg, "\r\n") || len(msg) > 600 || !utf8.ValidString(msg) {
			t.Fatalf("error %q is not one short line of UTF-8", msg)
		}
	})
}
