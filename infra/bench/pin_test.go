package main

import (
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"0", []int{0}},
		{"0-1", []int{0, 1}},
		{"0-3,6,8-9", []int{0, 1, 2, 3, 6, 8, 9}},
	} {
		got, err := parseCPUList(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "1-", "0,,1"} {
		if got, err := parseCPUList(bad); err == nil {
			t.Errorf("%q read as %v", bad, got)
		}
	}
	if got := list([]int{0, 2, 3}); got != "0,2,3" {
		t.Errorf("list = %q", got)
	}
}
