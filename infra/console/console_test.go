package console_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"imusers/infra/gateway"
	"imusers/shared/adapter/console"
	"imusers/shared/testenv"
)

// chromium is where Debian's chromium package puts the browser.
const chromium = "/usr/bin/chromium"

// The console is served through the local gateway as API Gateway serves it: GET only, its
// own files, the page's headers.
func TestServedThroughTheGateway(t *testing.T) {
	s := testenv.StartStack(t)
	for path, ct := range map[string]string{"/console/": "text/html; charset=utf-8", "/console/app.js": "text/javascript; charset=utf-8"} {
		res, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != ct || len(body) == 0 {
			t.Errorf("GET %s: %d %q, want 200 %q", path, res.StatusCode, res.Header.Get("Content-Type"), ct)
		}
		if res.Header.Get("Content-Security-Policy") != console.Policy || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: headers %v", path, res.Header)
		}
	}
	// The path without its slash matches the console's route, as in AWS, and is sent on to the
	// page; a browser following it gets the page.
	res, err := http.Get(s.URL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/console/" || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET /console ended at %s with %d %q, want the page at /console/", res.Request.URL.Path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	// Another method, or a file the console does not have: the $default route answers as for
	// any path of no operation.
	for _, r := range []struct{ method, path string }{{http.MethodPost, "/console/"}, {http.MethodGet, "/console/nothing.js"}} {
		req, _ := http.NewRequest(r.method, s.URL+r.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", r.method, r.path, res.StatusCode)
		}
	}
}

// TestConsoleInABrowser signs in with a wrong secret and the right one, finds a user, bans
// them by keyboard (their connected client is kicked), lifts the ban and changes settings (read
// back through the Server API), in Chromium. On each screen, at a desktop's and a phone's size,
// the script also checks every control's name, its reach by Tab and its fit, and that each
// refused value is shown beside its field, which gets the focus.
func TestConsoleInABrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the console's browser test needs Debian's chromium at %s (make deps installs it as root; or apt-get install chromium): %v", chromium, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the console's browser test needs Node.js: %v", err)
	}
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "..", "node_modules", "playwright-core")); err != nil {
		t.Fatalf("playwright-core is not installed: run `make deps` (npm ci in infra/): %v", err)
	}
	shots := os.Getenv("IM_CONSOLE_SCREENSHOTS")

	// The connection API reports a close late, as in AWS: after a ban the page must read the user
	// again until the kicked connection is gone, not show the answer it got at once.
	s := testenv.StartStackWith(t, testenv.Options{ConfigureGateway: func(g *gateway.Gateway) { g.DisconnectDelay = 1500 * time.Millisecond }})
	app := s.Apps[0]
	c := s.Client(0)
	tok := c.MustOK(t, "/user/getToken.json", testenv.Form("userId", "alice", "name", "Alice")).Body["token"].(string)
	c.Register(t, "bob")
	c.MustOK(t, "/user/blacklist/add.json", testenv.Form("userId", "alice", "blackUserId", "bob"))
	c.MustOK(t, "/friend/add.json", testenv.Form("userId", "alice", "targetId", "bob", "optType", "2"))
	if r := c.Post(t, "/user/tag/set.json", `{"userId":"alice","tags":["vip","beta"]}`, "Content-Type", "application/json"); r.Code() != 200 {
		t.Fatalf("tag set: %s", r.Raw)
	}
	c.MustOK(t, "/user/profile/set.json", testenv.Form("userId", "alice", "userProfile", `{"level":2}`))
	client := testenv.NewInbox(s.MustDial(t, tok))
	// The App Server's webhook receiver, on loopback as the local stack allows.
	hooks := make(chan string, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hooks <- string(body)
	}))
	defer receiver.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "browser.mjs"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CONSOLE_URL="+s.URL+"/console/", "APP_KEY="+app.Key, "APP_SECRET="+app.Secret,
		"USER_ID=alice", "CHROMIUM="+chromium, "SHOTS="+shots, "RECEIVER_URL="+receiver.URL+"/hooks")
	var stderr testenv.SyncBuffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("browser script output:\n%s", stderr.String())
		}
	}()

	// What the test checks after each step of the page, before the page goes on.
	checks := map[string]func(){
		"refused": func() {},
		"banned": func() {
			if f := client.Next(t, 10*time.Second); f["type"] != "kicked" || f["reason"] != "blocked" {
				t.Fatalf("the connected client got %v, want the kicked frame", f)
			}
			client.Closed(t, 10*time.Second)
			bans := c.MustOK(t, "/user/block/query.json", nil).Body["users"].([]any)
			if len(bans) != 1 || bans[0].(map[string]any)["userId"] != "alice" {
				t.Fatalf("bans after the page's ban: %v", bans)
			}
		},
		"unbanned": func() {
			if bans := c.MustOK(t, "/user/block/query.json", nil).Body["users"].([]any); len(bans) != 0 {
				t.Fatalf("bans after the page's unban: %v", bans)
			}
		},
		"muted": func() {
			muted := c.MustOK(t, "/user/chat/fb/querylist.json", testenv.Form("type", "PERSON")).Body["users"].([]any)
			if len(muted) != 1 || muted[0] != "alice" {
				t.Fatalf("muted users after the page's mute: %v", muted)
			}
		},
		"expired": func() {
			if _, status := s.Dial(t, tok); status != http.StatusUnauthorized {
				t.Fatalf("a connect with the expired token: HTTP %d, want 401", status)
			}
		},
		"deactivated": func() {
			c.Expect(t, "/user/info.json", testenv.Form("userId", "alice"), http.StatusForbidden, 3002)
		},
		"reactivated": func() {
			c.MustOK(t, "/user/info.json", testenv.Form("userId", "alice"))
		},
		"deleted": func() {
			c.Expect(t, "/user/info.json", testenv.Form("userId", "bob"), http.StatusNotFound, 3001)
		},
		"saved": func() {
			got := c.MustOK(t, "/app/setting/query.json", nil).Body
			if got["friendsOnlyDirectMessages"] != 1.0 || got["tokenTtlDays"] != 7.0 {
				t.Fatalf("settings after the page saved them: %v", got)
			}
		},
		"tested": func() {
			select {
			case body := <-hooks:
				if !strings.Contains(body, `"type":"webhook:test"`) {
					t.Fatalf("the receiver got %s, want the webhook:test event", body)
				}
			default:
				t.Fatal("the page reported a delivered test event that the receiver never got")
			}
			if got := c.MustOK(t, "/app/setting/query.json", nil).Body; got["webhookFormat"] != "nexconn" || got["tokenTtlDays"] != 7.0 {
				t.Fatalf("settings after the second save: %v", got)
			}
		},
	}
	done := map[string]bool{}
	lines := bufio.NewScanner(stdout)
	finished := false
	for lines.Scan() {
		line := lines.Text()
		name, isStep := strings.CutPrefix(line, "step ")
		switch {
		case isStep:
			check, ok := checks[name]
			if !ok {
				t.Fatalf("the page reports an unknown step %q", name)
			}
			check()
			done[name] = true
			if _, err := io.WriteString(stdin, "ok\n"); err != nil {
				t.Fatal(err)
			}
		case line == "done":
			finished = true
			stdin.Close()
		default:
			t.Log(line)
		}
	}
	if err := cmd.Wait(); err != nil || !finished {
		t.Fatalf("the browser script failed (%v):\n%s", err, stderr.String())
	}
	for name := range checks {
		if !done[name] {
			t.Errorf("the page never reached step %q", name)
		}
	}
}
