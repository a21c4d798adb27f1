package main

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"imusers/shared/apps"
)

// A load step closes its generator's connections when it ends: left open, every step's
// hundreds stay in the process that runs the service and weigh on every later step.
func TestLoadStepClosesItsConnections(t *testing.T) {
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"code":200}`))
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	srv.Start()
	defer srv.Close()
	openNow := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(open)
	}

	e := &env{url: srv.URL}
	hit := e.vegeta(apps.App{Key: "k", Secret: "s"}, "userGetToken", func(uint64) url.Values { return url.Values{"userId": {"u"}} })
	for range 2 {
		step := hit(context.Background(), 200, 300*time.Millisecond)
		if step.Requests < 50 || step.Success != 1 {
			t.Fatalf("step: %+v", step)
		}
		// The server sees a client's close a moment after it happens.
		deadline := time.Now().Add(5 * time.Second)
		for openNow() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := openNow(); n > 0 {
			t.Fatalf("%d connections still open after the step", n)
		}
	}
}
