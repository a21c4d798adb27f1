package store

import (
	"reflect"
	"testing"
)

// keysUnder builds the same keys as building each on its own.
func TestKeysUnder(t *testing.T) {
	users := []string{"a", "many-10", "", "x_y=z+w-v", "a"}
	// A batch kept from an earlier, larger read is refilled as well.
	keysUnder("app-0", []string{"1", "2", "3", "4", "5", "6", "7"}, skProfile).release()
	batch := keysUnder("app-1", users, skPresence)
	defer batch.release()
	got := batch.keys
	if len(got) != len(users) {
		t.Fatalf("%d keys for %d users", len(got), len(users))
	}
	for i, u := range users {
		if want := presenceKey("app-1", u); !reflect.DeepEqual(got[i], want) {
			t.Errorf("key %d = %v, want %v", i, got[i], want)
		}
	}
	if len(keysUnder("app-1", nil, skProfile).keys) != 0 {
		t.Error("keys for no users")
	}
}
