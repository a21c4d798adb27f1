package userapi

import (
	"encoding/json"
	"testing"
)

// tricky are strings that encoding/json escapes in every way it can.
var tricky = []string{"", "many-1", `q"b\s/`, "<a>&", "\x00\n\t\x1f", "é 名 🙂", "\u2028\u2029", "bad \xff"}

// The answers that write their own JSON write what json.Marshal writes.
func TestAnswersAsMarshal(t *testing.T) {
	var users []userStatus
	for i, s := range tricky {
		users = append(users, userStatus{s, tricky[(i+1)%len(tricky)]})
	}
	for _, a := range []statuses{{}, {Users: []userStatus{}}, {Users: users}} {
		want, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.AppendJSON([]byte("x")); string(got) != "x"+string(want) {
			t.Errorf("AppendJSON = %s, json.Marshal = %s", got, want)
		}
	}
}
