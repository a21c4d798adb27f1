package messages

import (
	"sync"
	"time"

	"imusers/shared/store"
)

// settingsCache keeps the app settings the sends of one function instance read, so that the
// app's settings item is read once per SettingsMaxAge and instance rather than by every client
// message: every message of an app reads the same item, which would outgrow one partition's
// 3,000 reads per second. A change of the settings reaches client sends within SettingsMaxAge.
type settingsCache struct {
	mu sync.Mutex
	by map[string]cachedSettings
}

type cachedSettings struct {
	settings store.AppSettings
	read     time.Time
}

// get returns app's settings when they were read less than maxAge before now.
func (c *settingsCache) get(app string, now time.Time, maxAge time.Duration) (store.AppSettings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.by[app]
	if !ok || now.Sub(e.read) >= maxAge {
		return store.AppSettings{}, false
	}
	return e.settings, true
}

// apply keeps the settings a read brought (read), or hands the cached ones to every message's
// facts (fresh), which the read then left out.
func (c *settingsCache) apply(app string, facts map[string]*store.SendFacts, read, fresh bool, cached store.AppSettings, now time.Time) {
	for _, f := range facts {
		switch {
		case read:
			c.keep(app, f.Settings, now)
			return // every message's facts carry the same settings
		case fresh:
			f.Settings = cached
		}
	}
}

func (c *settingsCache) keep(app string, s store.AppSettings, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]cachedSettings{}
	}
	c.by[app] = cachedSettings{s, now}
}
