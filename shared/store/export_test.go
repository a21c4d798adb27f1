package store

import "time"

// SetClock makes list changes date their marks by now, so a test can let a mark outlive its
// request without waiting.
func SetClock(st *Store, now func() time.Time) { st.now = now }

// SetPatience shortens how long a list change waits for the marks of others.
func SetPatience(st *Store, d time.Duration) { st.patience = d }

// IsConditionFailed is how the store tells a failed condition from any other error.
var IsConditionFailed = isConditionFailed
