// Package faultproxy is test-only code: an HTTP proxy that stands between the service's
// DynamoDB client and dynalite and makes DynamoDB misbehave the ways it really does — throttling
// answers, internal errors, answers that never come, connections that drop, and writes that
// happen although the caller never hears so. Faults are chosen per DynamoDB operation (the
// X-Amz-Target header), at a rate, after a number of calls, for a number of calls, so a test can
// put a fault exactly between two writes of one request.
package faultproxy

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kind is a fault.
type Kind int

const (
	// Throughput answers HTTP 400 ProvisionedThroughputExceededException.
	Throughput Kind = iota
	// Throttling answers HTTP 400 ThrottlingException (what on-demand tables send).
	Throttling
	// Internal answers HTTP 500 InternalServerError.
	Internal
	// Delay holds the request for Rule.Delay (longer than the client waits), then forwards it.
	Delay
	// Drop closes the connection without an answer.
	Drop
)

func (k Kind) String() string {
	switch k {
	case Throughput:
		return "ProvisionedThroughputExceeded"
	case Throttling:
		return "Throttling"
	case Internal:
		return "InternalServerError"
	case Delay:
		return "Delay"
	case Drop:
		return "Drop"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Rule says which requests get which fault. The zero values of the selectors match everything.
type Rule struct {
	// Op is the DynamoDB operation ("PutItem", "BatchWriteItem"…); "" matches every operation.
	Op string
	// BodyContains restricts the rule to requests whose JSON body contains this text (a key,
	// say), so one write of several in a request can be picked out.
	BodyContains string
	Kind         Kind
	// Rate is the chance that a matching request gets the fault; 0 means always.
	Rate float64
	// Skip lets this many matching requests through before the rule starts.
	Skip int
	// Count stops the rule after this many faults; 0 means no end.
	Count int
	// After forwards the request first and puts the fault on the answer: the write happened,
	// but the caller cannot know it (not used with Delay).
	After bool
	// Delay is how long Delay holds a request (default 5 s, beyond the service's 3 s timeout).
	Delay time.Duration
}

type rule struct {
	Rule
	seen, injected int
}

// Proxy forwards to one DynamoDB endpoint and injects faults by its rules.
type Proxy struct {
	URL    string
	target *url.URL
	client *http.Client

	mu     sync.Mutex
	rules  []*rule
	rng    *rand.Rand
	calls  map[string]int
	faults map[string]int
}

// Start runs a proxy to target on a loopback port until the test ends. seed makes rate-based
// faults repeatable.
func Start(t testing.TB, target string, seed uint64) *Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatalf("faultproxy target %q: %v", target, err)
	}
	p := &Proxy{
		target: u,
		// No timeout here: the client in front decides how long it waits, and a delayed
		// request ends when that client goes away.
		client: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}},
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		calls:  map[string]int{},
		faults: map[string]int{},
	}
	srv := httptest.NewServer(p)
	p.URL = srv.URL
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		p.client.CloseIdleConnections()
	})
	return p
}

// Set replaces the rules; each starts counting afresh.
func (p *Proxy) Set(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = p.rules[:0]
	for _, r := range rules {
		p.rules = append(p.rules, &rule{Rule: r})
	}
}

// Clear removes every rule: from now on the proxy only forwards.
func (p *Proxy) Clear() { p.Set() }

// Calls is how many requests of op arrived ("" for all), faulted or not.
func (p *Proxy) Calls(op string) int { return p.count(p.calls, op) }

// Faults is how many faults were injected into requests of op ("" for all).
func (p *Proxy) Faults(op string) int { return p.count(p.faults, op) }

func (p *Proxy) count(m map[string]int, op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if op != "" {
		return m[op]
	}
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// pick counts the request and returns the fault it gets, if any: the first rule that matches
// and fires.
func (p *Proxy) pick(op string, body []byte) (Rule, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op]++
	for _, r := range p.rules {
		if r.Op != "" && r.Op != op {
			continue
		}
		if r.BodyContains != "" && !bytes.Contains(body, []byte(r.BodyContains)) {
			continue
		}
		if r.Count > 0 && r.injected >= r.Count {
			continue
		}
		r.seen++
		if r.seen <= r.Skip {
			continue
		}
		if r.Rate > 0 && p.rng.Float64() >= r.Rate {
			continue
		}
		r.injected++
		p.faults[op]++
		return r.Rule, true
	}
	return Rule{}, false
}

// operation reads "DynamoDB_20120810.PutItem" as "PutItem".
func operation(r *http.Request) string {
	target := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		return target[i+1:]
	}
	return target
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	op := operation(r)
	fault, ok := p.pick(op, body)
	if ok && fault.Kind == Delay {
		d := fault.Delay
		if d == 0 {
			d = 5 * time.Second
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		ok = false // late, but answered
	}
	if ok && !fault.After {
		p.inject(w, fault.Kind)
		return
	}
	res, err := p.forward(r, body)
	if err != nil {
		p.inject(w, Drop)
		return
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		p.inject(w, Drop)
		return
	}
	if ok {
		p.inject(w, fault.Kind)
		return
	}
	for k, vs := range res.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(answer)
}

func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, error) {
	u := *p.target
	u.Path, u.RawQuery = r.URL.Path, r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		out.Header[k] = vs
	}
	return p.client.Do(out)
}

// inject writes the fault as DynamoDB would (or closes the connection for Drop).
func (p *Proxy) inject(w http.ResponseWriter, k Kind) {
	var status int
	var typ, msg string
	switch k {
	case Throughput:
		status, typ, msg = http.StatusBadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
			"The level of configured provisioned throughput for the table was exceeded."
	case Throttling:
		status, typ, msg = http.StatusBadRequest, "com.amazon.coral.availability#ThrottlingException",
			"Rate of requests exceeds the allowed throughput."
	case Internal:
		status, typ, msg = http.StatusInternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError",
			"Internal server error"
	default:
		drop(w)
		return
	}
	body := fmt.Sprintf(`{"__type":%q,"message":%q}`, typ, msg)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", "FAULTPROXY")
	// DynamoDB signs every answer with a CRC32 that the SDK checks.
	w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE([]byte(body))))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// drop closes the connection with nothing written, as a lost network path or a reset does.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // a reset, not a polite close
	}
	_ = conn.Close()
}
