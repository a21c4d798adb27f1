package users

import (
	"fmt"
	"testing"
)

// The instance's memory of its writes is bounded: when full it starts over.
func TestSeenWritesStartOverWhenFull(t *testing.T) {
	var w seenWrites
	for i := range seenMemory {
		w.wrote(fmt.Sprint("c", i), int64(i+1))
	}
	if w.last("c0") != 1 || w.last(fmt.Sprint("c", seenMemory-1)) != seenMemory {
		t.Fatal("writes within the bound are remembered")
	}
	w.wrote("one more", 7)
	if len(w.at) != 1 || w.last("one more") != 7 || w.last("c0") != 0 {
		t.Fatalf("after the bound the memory holds %d connections, want only the latest", len(w.at))
	}
}
