package relationapi

import (
	"encoding/json"
	"testing"
)

// tricky are strings that encoding/json escapes in every way it can.
var tricky = []string{"", "f-0001", `q"b\s/`, "<a>&", "\x00\n\t\x1f", "é 名 🙂", "\u2028\u2029", "bad \xff", `{"k":"v"}`}

// The answers that write their own JSON write what json.Marshal writes.
func TestAnswersAsMarshal(t *testing.T) {
	var list []friend
	for i, s := range tricky {
		n := len(tricky)
		list = append(list, friend{s, tricky[(i+1)%n], tricky[(i+2)%n], tricky[(i+3)%n], int64(i) * 1_800_000_000_000})
	}
	list = append(list, friend{Time: -1})
	for _, a := range []friendPage{{}, {FriendList: []friend{}}, {PageToken: "AQ-_x", TotalCount: 60, FriendList: list}} {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.AppendJSON([]byte("x")); string(got) != "x"+string(want) {
			t.Errorf("AppendJSON = %s, json.Marshal = %s", got, want)
		}
	}
}
