package messages

import (
	"time"

	"imusers/shared/domain/users"
	"imusers/shared/store"
)

// settingsCache keeps the app settings the sends of one function instance read (see
// users.SettingsCache): a change of the settings reaches client sends within SettingsMaxAge.
type settingsCache struct{ users.SettingsCache }

// apply keeps the settings a read brought (read), or hands the cached ones to every message's
// facts (fresh), which the read then left out.
func (c *settingsCache) apply(app string, facts map[string]*store.SendFacts, read, fresh bool, cached store.AppSettings, now time.Time) {
	for _, f := range facts {
		switch {
		case read:
			c.Keep(app, f.Settings, now)
			return // every message's facts carry the same settings
		case fresh:
			f.Settings = cached
		}
	}
}
