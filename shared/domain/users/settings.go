package users

import (
	"sync"
	"time"

	"imusers/shared/store"
)

// SettingsCache keeps the app settings one function instance read, so that an app's settings
// item is read once per maximum age and instance rather than by every connect or client
// message: all of them read the same item, which would outgrow one partition's 3,000 reads per
// second. A change of the settings reaches them within that age (IM_SETTINGS_MAX_AGE_SECONDS).
type SettingsCache struct {
	mu sync.Mutex
	by map[string]cachedSettings
}

type cachedSettings struct {
	settings store.AppSettings
	read     time.Time
}

// Get returns app's settings when they were read less than maxAge before now.
func (c *SettingsCache) Get(app string, now time.Time, maxAge time.Duration) (store.AppSettings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.by[app]
	if !ok || now.Sub(e.read) >= maxAge {
		return store.AppSettings{}, false
	}
	return e.settings, true
}

// Keep records app's settings as read at now.
func (c *SettingsCache) Keep(app string, s store.AppSettings, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]cachedSettings{}
	}
	c.by[app] = cachedSettings{s, now}
}
