package rie

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// OperationAnswer is the stand-in's answer to a synchronous invocation: an operation's response
// as API Gateway would get it, marked so that a test can tell it was passed on unchanged.
const OperationAnswer = `{"statusCode":200,"headers":{"Content-Type":"application/json; charset=utf-8","X-Answered-By":"rie-stand-in"},"body":"{\"code\":200,\"users\":[\"answered-by-the-stand-in\"]}"}`

// Call is one request the AWS stand-in received.
type Call struct {
	Method string
	Path   string
	// Function and InvocationType are set for Lambda Invoke calls.
	Function       string
	InvocationType string
	// Connection is set for calls to the management endpoint (/@connections/{id}).
	Connection string
	Body       []byte
}

// AWS stands in for the AWS endpoints a function calls besides DynamoDB: Lambda's Invoke API
// (asynchronous invocations are accepted with 202, as Lambda queues them; synchronous ones,
// which only the $default route makes, get OperationAnswer) and the connection API's
// management endpoint (every connection is gone, 410, as none are open in these runs). It
// records every call.
type AWS struct {
	URL   string
	srv   *http.Server
	mu    sync.Mutex
	calls []Call
}

// StartAWS serves the stand-in on a free loopback port.
func StartAWS() (*AWS, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &AWS{URL: "http://" + l.Addr().String()}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 5 * time.Second}
	go a.srv.Serve(l)
	return a, nil
}

func (a *AWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	c := Call{Method: r.Method, Path: r.URL.Path, Body: body}
	status := http.StatusNotFound
	if rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/"); ok && r.Method == http.MethodPost {
		c.Function, _ = strings.CutSuffix(rest, "/invocations")
		c.InvocationType = r.Header.Get("X-Amz-Invocation-Type")
		status = http.StatusAccepted
		if c.InvocationType != "Event" {
			status = http.StatusOK
		}
	} else if id, ok := strings.CutPrefix(r.URL.Path, "/@connections/"); ok {
		c.Connection = id
		status = http.StatusGone
		w.Header().Set("X-Amzn-ErrorType", "GoneException")
	}
	a.mu.Lock()
	a.calls = append(a.calls, c)
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	switch status {
	case http.StatusOK:
		_, _ = io.WriteString(w, OperationAnswer)
	case http.StatusGone:
		_, _ = io.WriteString(w, `{"message":"Gone"}`)
	case http.StatusNotFound:
		_, _ = io.WriteString(w, `{"message":"not served by the stand-in"}`)
	}
}

// Calls returns the calls received so far.
func (a *AWS) Calls() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Call(nil), a.calls...)
}

// Reset forgets the calls received so far.
func (a *AWS) Reset() {
	a.mu.Lock()
	a.calls = nil
	a.mu.Unlock()
}

// Close stops the stand-in.
func (a *AWS) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
}
