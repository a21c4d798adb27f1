// Package console holds the operator console's tests against the whole local stack: its
// files through the local gateway, and its screens driven in Chromium (Debian's package) by
// playwright-core (browser.mjs), checked from outside through the Server API and a connected
// client. `make screenshots` runs the browser test with IM_CONSOLE_SCREENSHOTS set.
package console
