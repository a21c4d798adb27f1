package racecheck_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"imusers/shared/testenv"
)

// sockets collects the connections a race opened.
type sockets struct {
	mu   sync.Mutex
	list []*socket
}

func (s *sockets) add(sk *socket) {
	s.mu.Lock()
	s.list = append(s.list, sk)
	s.mu.Unlock()
}

func (s *sockets) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sk := range s.list {
		if sk.open() {
			n++
		}
	}
	return n
}

func (s *sockets) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sk := range s.list {
		sk.close()
	}
}

// dialRace has every worker but the last connect with token, rounds times, while the last one
// runs stop as soon as each of the others has made its first attempt. It returns the sockets
// that were opened.
func dialRace(t *testing.T, s *testenv.Stack, token string, stop func() error) *sockets {
	t.Helper()
	opened := &sockets{}
	first := make(chan struct{}, workers)
	race(t, func(w, r int) error {
		if w == workers-1 {
			if r > 0 {
				return nil
			}
			for range workers - 1 {
				<-first
			}
			return stop()
		}
		if r == 0 {
			defer func() { first <- struct{}{} }()
		}
		sk, status, err := dial(s, token)
		if err != nil {
			return err
		}
		switch status {
		case http.StatusSwitchingProtocols:
			opened.add(sk)
		case http.StatusUnauthorized, http.StatusForbidden:
		default:
			return fmt.Errorf("connect answered HTTP %d", status)
		}
		return nil
	})
	t.Cleanup(opened.closeAll)
	return opened
}

// checkPresence requires the service's record of a user's live connections to equal the
// sockets that are really open, once the asynchronous $disconnects have run.
func checkPresence(t *testing.T, s *testenv.Stack, c *testenv.APIClient, user string, opened *sockets) {
	t.Helper()
	if !eventually(func() bool { return liveConns(t, s, user) == opened.open() }) {
		t.Errorf("%s: the service records %d live connections, %d sockets are open", user, liveConns(t, s, user), opened.open())
	}
	want := "0"
	if opened.open() > 0 {
		want = "1"
	}
	if got := c.MustOK(t, "/user/checkOnline.json", form("userId", user)).Body["status"]; got != want {
		t.Errorf("%s: checkOnline = %v with %d sockets open", user, got, opened.open())
	}
}

// A block racing a user's connects leaves no connection open once it has answered: every
// connection either was refused or is closed, and presence shows the user offline.
func TestBlockDuringConnect(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "carl")
	opened := dialRace(t, s, tok, func() error {
		res, err := post(c, "/user/block.json", form("userId", "carl", "minute", "10"))
		if err == nil && res.Code() != 200 {
			err = fmt.Errorf("block: HTTP %d %s", res.Status, res.Raw)
		}
		return err
	})
	if !eventually(func() bool { return opened.open() == 0 }) {
		t.Errorf("%d of %d connections stay open after the block answered", opened.open(), len(opened.list))
	}
	checkPresence(t, s, c, "carl", opened)
	if _, status, _ := dial(s, tok); status != http.StatusForbidden {
		t.Errorf("connect after the block answered HTTP %d, want 403", status)
	}
}

// The same for deactivation.
func TestDeactivateDuringConnect(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "dina")
	opened := dialRace(t, s, tok, func() error {
		res, err := post(c, "/user/deactivate.json", form("userId", "dina"))
		if err == nil && res.Code() != 200 {
			err = fmt.Errorf("deactivate: HTTP %d %s", res.Status, res.Raw)
		}
		return err
	})
	if !eventually(func() bool { return opened.open() == 0 }) {
		t.Errorf("%d of %d connections stay open after the deactivation answered", opened.open(), len(opened.list))
	}
	checkPresence(t, s, c, "dina", opened)
	s.Gateway.Wait()
}

// Expiring tokens while the user connects: once expire has answered, the old token connects no
// more; connections already open stay open (the contract), and presence equals them.
func TestExpireDuringConnect(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "erin")
	time.Sleep(2 * time.Millisecond) // the expiry time must be later than the token's issue
	opened := dialRace(t, s, tok, func() error {
		res, err := post(c, "/user/token/expire.json", form("userId", "erin", "time", fmt.Sprint(s.Clock.Now().UnixMilli())))
		if err == nil && res.Code() != 200 {
			err = fmt.Errorf("expire: HTTP %d %s", res.Status, res.Raw)
		}
		return err
	})
	if _, status, _ := dial(s, tok); status != http.StatusUnauthorized {
		t.Errorf("connect with the expired token answered HTTP %d, want 401", status)
	}
	if opened.open() == 0 {
		t.Error("expiring tokens closed connections that were open")
	}
	checkPresence(t, s, c, "erin", opened)
	opened.closeAll()
	checkPresence(t, s, c, "erin", opened)
}

// Many clients of a few users connecting, pinging and leaving at once: the service's presence
// equals the open sockets for every user, while some stay open and after all have closed.
func TestPresenceEqualsOpenSockets(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	users := []string{"p0", "p1", "p2"}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u] = register(t, c, u)
	}
	opened := map[string]*sockets{}
	for _, u := range users {
		opened[u] = &sockets{}
		t.Cleanup(opened[u].closeAll)
	}
	race(t, func(w, r int) error {
		u := users[(w+r)%len(users)]
		sk, status, err := dial(s, tokens[u])
		if err != nil {
			return err
		}
		if status != http.StatusSwitchingProtocols {
			return fmt.Errorf("connect %s: HTTP %d", u, status)
		}
		if (w+r)%3 == 0 {
			opened[u].add(sk) // stays open
			return nil
		}
		sk.close()
		return nil
	})
	for _, u := range users {
		checkPresence(t, s, c, u, opened[u])
		opened[u].closeAll()
		checkPresence(t, s, c, u, opened[u])
	}
}

// Blocks, unblocks and re-blocks of one user racing each other settle on one answer everywhere:
// the block list, the connect check and the user's state agree, and no ban outlives its end.
func TestBlockUnblockReblockRacing(t *testing.T) {
	s := testenv.StartStack(t)
	c := s.Client(0)
	tok := register(t, c, "bo")
	race(t, func(w, r int) error {
		f, path := form("userId", "bo", "minute", fmt.Sprint(1+w)), "/user/block.json"
		if (w+r)%3 == 0 {
			f, path = form("userId", "bo"), "/user/unblock.json"
		}
		res, err := post(c, path, f)
		if err == nil && res.Code() != 200 {
			err = fmt.Errorf("%s: HTTP %d %s", path, res.Status, res.Raw)
		}
		return err
	})
	listed := len(c.MustOK(t, "/user/block/query.json", nil).Body["users"].([]any))
	_, status, _ := dial(s, tok)
	if banned := status == http.StatusForbidden; banned != (listed == 1) {
		t.Errorf("block list has %d entries but connect answered HTTP %d", listed, status)
	}
	// Past the longest ban of the race, nothing of any ban is left in force.
	s.Clock.Advance(time.Duration(workers+1) * time.Minute)
	if n := len(c.MustOK(t, "/user/block/query.json", nil).Body["users"].([]any)); n != 0 {
		t.Errorf("%d bans listed after every end time passed", n)
	}
	if _, status, _ := dial(s, tok); status != http.StatusSwitchingProtocols {
		t.Errorf("connect after every ban ended answered HTTP %d", status)
	}
}
