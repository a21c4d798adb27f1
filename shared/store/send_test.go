package store_test

import (
	"context"
	"fmt"
	"testing"

	"imusers/shared/store"
)

// ReadSendFacts reads only the facts asked for, the recipient's connections among them, in one
// BatchGetItem per 100 keys.
func TestReadSendFacts(t *testing.T) {
	st, calls := newStore(t)
	ctx := context.Background()
	for _, u := range []string{"sam", "rita", "ron"} {
		if _, err := st.Register(ctx, "app", u, u, "", 1000, false); err != nil {
			t.Fatal(err)
		}
	}
	anyone := func(map[string]*store.Member) error { return nil }
	if err := st.AddEntries(ctx, "app", store.Blocklist, "rita", []string{"sam"}, 10, 2000, anyone); err != nil {
		t.Fatal(err)
	}
	if err := st.AddFriendship(ctx, "app", "ron", "sam", 2000, anyone); err != nil {
		t.Fatal(err)
	}
	if err := st.Connect(ctx, "app", "rita", "conn-1", 3000); err != nil {
		t.Fatal(err)
	}
	if err := st.Connect(ctx, "app", "rita", "conn-2", 3000); err != nil {
		t.Fatal(err)
	}

	all := store.SendRead{Sender: true, Lists: true, Friends: true, Presence: true}
	calls.Reset()
	got, err := st.ReadSendFacts(ctx, "app", "sam", []string{"rita", "ron", "nobody"}, all)
	if err != nil {
		t.Fatal(err)
	}
	if c := calls.Calls(); c.Total() != 1 || c.BatchGetItem != 1 {
		t.Fatalf("three recipients' facts made %+v, want one BatchGetItem", c)
	}
	rita, ron, nobody := got["rita"], got["ron"], got["nobody"]
	if rita.Sender == nil || rita.Sender.ID != "sam" || rita.Recipient == nil || !rita.Blocked || rita.Friends || len(rita.Conns) != 2 {
		t.Errorf("rita's facts = %+v", rita)
	}
	if ron.Recipient == nil || ron.Blocked || !ron.Friends || len(ron.Conns) != 0 {
		t.Errorf("ron's facts = %+v", ron)
	}
	if nobody.Recipient != nil || nobody.Sender == nil {
		t.Errorf("an unknown recipient's facts = %+v", nobody)
	}

	// Left out, a fact is not read and stays zero.
	got, err = st.ReadSendFacts(ctx, "app", "sam", []string{"rita", "ron"}, store.SendRead{Presence: true})
	if err != nil {
		t.Fatal(err)
	}
	if f := got["rita"]; f.Sender != nil || f.Blocked || len(f.Conns) != 2 || f.Recipient == nil {
		t.Errorf("rita's facts without sender and lists = %+v", f)
	}
	if got["ron"].Friends {
		t.Error("friendship read though not asked for")
	}

	// The sender's mute is read only when asked for.
	if err := st.PutMutes(ctx, "app", []string{"sam"}); err != nil {
		t.Fatal(err)
	}
	for _, what := range []store.SendRead{all, {Sender: true, Mute: true}} {
		got, err := st.ReadSendFacts(ctx, "app", "sam", []string{"rita"}, what)
		if err != nil {
			t.Fatal(err)
		}
		if got["rita"].SenderMuted != what.Mute {
			t.Errorf("%+v: SenderMuted = %v", what, got["rita"].SenderMuted)
		}
	}

	// Keys per recipient: profile, then 2 for lists, 1 for friends, 1 for presence.
	for _, tc := range []struct {
		what              store.SendRead
		recipients, calls int
	}{
		{store.SendRead{Sender: true, Presence: true}, 49, 1},              // 2 + 2×49 = 100
		{store.SendRead{Sender: true, Presence: true}, 50, 2},              // 102
		{store.SendRead{Sender: true, Lists: true, Presence: true}, 24, 1}, // 2 + 4×24 = 98
		{store.SendRead{Sender: true, Lists: true, Presence: true}, 25, 2}, // 102
		{all, 19, 1}, // 3 + 5×19 = 98
		{all, 20, 2}, // 103
		{store.SendRead{Sender: true, Presence: true}, 1000, 21}, // 2002
	} {
		to := make([]string, tc.recipients)
		for i := range to {
			to[i] = fmt.Sprint("user", i)
		}
		calls.Reset()
		got, err := st.ReadSendFacts(ctx, "app", "sam", to, tc.what)
		if err != nil {
			t.Fatal(err)
		}
		if c := calls.Calls(); c.Total() != int64(tc.calls) || len(got) != tc.recipients {
			t.Errorf("%+v for %d recipients: %+v and %d facts, want %d BatchGetItem", tc.what, tc.recipients, c, len(got), tc.calls)
		}
	}
}
