package connections

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Whatever API Gateway (or anything posing as it) answers, the error is one short line, it reads
// as a gone connection exactly when the answer says so, and only throttling among refusals is
// asked again.
func FuzzAnswerError(f *testing.F) {
	f.Add(410, "GoneException", `{"message":null}`)
	f.Add(429, "LimitExceededException", `{"message":"Rate exceeded"}`)
	f.Add(403, "", `{"__type":"com.amazonaws#ForbiddenException","message":"line\nbreak"}`)
	f.Add(500, "", `<html>`)
	f.Fuzz(func(t *testing.T, status int, header, body string) {
		if strings.ContainsAny(header, "\r\n") || status < 100 || status > 999 {
			return // not an HTTP answer
		}
		res := &http.Response{StatusCode: status, Header: http.Header{}}
		if header != "" {
			res.Header.Set("X-Amzn-ErrorType", header)
		}
		err := answerError("execute-api PostToConnection L0SM9cOFvHcCIhw=", res, []byte(body))
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") || len(msg) > 600 {
			t.Fatalf("error %q is not one short line", msg)
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != status {
			t.Fatalf("error %#v does not carry the status", err)
		}
		if gone := errors.Is(err, ErrGone); gone != (status == http.StatusGone || strings.EqualFold(e.Code, "GoneException")) {
			t.Fatalf("status %d code %q: gone %v", status, e.Code, gone)
		}
		if status/100 == 4 && status != http.StatusTooManyRequests && !final(err) {
			t.Fatalf("a %d refusal would be retried", status)
		}
		if status/100 == 5 && final(err) && !errors.Is(err, ErrGone) {
			t.Fatalf("a %d fault would not be retried", status)
		}
	})
}
