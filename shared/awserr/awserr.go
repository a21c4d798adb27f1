// Package awserr is the error of the AWS API calls the service signs and sends itself rather
// than through an SDK client (Lambda Invoke, SSM GetParameter, the Management API's
// PostToConnection and DeleteConnection): AWS's code and message, kept short and on one line,
// never the request, and the methods the SDK's retryer reads to tell throttling, faults and
// lost connections (retried) from refusals.
package awserr

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is one failed call.
type Error struct {
	Op     string // what was called: "lambda Invoke eraseUsers", "ssm GetParameter"
	Status int
	// Code and Message are AWS's: "ResourceNotFoundException", "ThrottlingException", …
	Code, Message string
	Cause         error
	// Connection marks a request that got no answer: the retryer retries it, as the SDK does.
	Connection bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op + ": ")
	switch {
	case e.Cause != nil:
		b.WriteString(e.Cause.Error())
	case e.Code != "":
		fmt.Fprintf(&b, "%s (HTTP %d)", e.Code, e.Status)
	default:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

func (e *Error) Unwrap() error         { return e.Cause }
func (e *Error) ErrorCode() string     { return e.Code }
func (e *Error) HTTPStatusCode() int   { return e.Status }
func (e *Error) ConnectionError() bool { return e.Connection }

// FromAnswer reads an AWS error answer: the code from the X-Amzn-ErrorType header ("Code:uri")
// or the JSON body's "__type" ("…#Code") or "code", and the message from "message" or
// "Message". Lambda's body "Type" says only whose fault it was, so it is the code only when
// nothing better came.
func FromAnswer(op string, res *http.Response, raw []byte) *Error {
	var body struct {
		Type     string `json:"__type"`
		Code     string `json:"code"`
		Fault    string `json:"Type"`
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(raw, &body)
	code := res.Header.Get("X-Amzn-ErrorType")
	for _, c := range []string{body.Type, body.Code, body.Fault} {
		if code == "" {
			code = c
		}
	}
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	code, _, _ = strings.Cut(code, ":")
	msg := body.Message
	if msg == "" {
		msg = body.MessageU
	}
	return &Error{Op: op, Status: res.StatusCode, Code: printable(code, 100), Message: printable(msg, 300)}
}

// printable keeps an error text on one line, short and UTF-8 (bytes that are not become
// U+FFFD, and a cut never splits a character). What it returns, it returns unchanged.
func printable(s string, limit int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
	if len(s) > limit {
		for limit > 0 && !utf8.RuneStart(s[limit]) {
			limit--
		}
		s = s[:limit] + "…"
	}
	return s
}
