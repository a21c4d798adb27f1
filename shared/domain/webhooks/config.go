// Package webhooks tells the App Server what happened to its users: which events exist, how an
// app configures where they go, the two body formats (the platform's "rongcloud" callbacks and
// the "nexconn" envelope), the signatures on every request, and delivery with its retries, its
// dead-letter store and its refusal of addresses inside the network. It knows nothing about API
// Gateway or Lambda: a Worker sends the events it is handed.
package webhooks

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"imusers/shared/apps"
	"imusers/shared/store"
	"imusers/shared/wire/apierr"
)

// Event types, as the App Server receives them.
const (
	ConnectionStatus   = "user:connection_status"
	ActivationState    = "user:activation_state"
	ProfileUpdate      = "user:profile_update"
	Banned             = "user:banned"
	Unbanned           = "user:unbanned"
	BanExpired         = "user:ban_expired"
	DeactivationErased = "user:deactivation_erased"
)

// Body formats.
const (
	FormatRongCloud = "rongcloud"
	FormatNexconn   = "nexconn"
)

// Types lists every event type; the rongcloud format carries the first three only (the bans and
// erasure events are ours, and only the nexconn envelope has room for them).
var Types = []string{ConnectionStatus, ActivationState, ProfileUpdate, Banned, Unbanned, BanExpired, DeactivationErased}

// Supports reports whether format carries events of type typ.
func Supports(format, typ string) bool {
	i := slices.Index(Types, typ)
	return i >= 0 && (format == FormatNexconn || i < 3)
}

// Limits of the configuration.
const (
	MaxURL  = 1024    // bytes of one URL
	MaxURLs = 8 << 10 // bytes of webhookUrls, the per-event overrides
)

// Settings is an app's webhook configuration, as stored: URL (none, and no override, turns
// webhooks off), Format (FormatRongCloud when unset), Events (the types to send; none means
// every type the format carries) and URLs (per event type, instead of URL).
type Settings store.WebhookSettings

// Wants reports whether an event of type typ goes anywhere, and where.
func (s Settings) Wants(typ string) (string, bool) {
	if !Supports(s.EffectiveFormat(), typ) || !slices.Contains(s.EffectiveEvents(), typ) {
		return "", false
	}
	u := s.URL
	if o, ok := s.URLs[typ]; ok {
		u = o
	}
	return u, u != ""
}

// EffectiveEvents lists the event types the app asked for, or, when it named none, every type
// its format carries.
func (s Settings) EffectiveEvents() []string {
	if len(s.Events) > 0 {
		return s.Events
	}
	var out []string
	for _, t := range Types {
		if Supports(s.EffectiveFormat(), t) {
			out = append(out, t)
		}
	}
	return out
}

// EffectiveFormat is the format deliveries use.
func (s Settings) EffectiveFormat() string {
	if s.Format == "" {
		return FormatRongCloud
	}
	return s.Format
}

// Policy is where webhooks may point. In AWS no URL may name an address inside a network by IP
// literal, and deliveries refuse such addresses after DNS resolution too; the local stack
// (AllowLoopback) lets any app use an http URL on a loopback address, for development.
type Policy struct {
	AllowLoopback bool
}

// CheckURL checks one URL for an app: 1005 when too long, 1007 for http in production, 1002
// for anything else wrong. "" (webhooks off) is always accepted.
func (p Policy) CheckURL(param, raw string, env apps.Environment) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxURL {
		return apierr.TooLongParam(param, MaxURL)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "":
		return apierr.Malformed(param, "not an absolute http(s) URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return apierr.Malformed(param, "the scheme must be https or http")
	case u.User != nil || strings.Contains(raw, "#"):
		return apierr.Malformed(param, "no user-info or fragment allowed")
	}
	host := u.Hostname()
	loopback := p.AllowLoopback && isLoopbackHost(host)
	if ip, err := netip.ParseAddr(host); err == nil && Internal(ip) && !loopback {
		return apierr.Malformed(param, "the host is a private, loopback or link-local address")
	}
	if u.Scheme == "http" && env != apps.Development && !loopback {
		return apierr.New(apierr.NotAllowed, "%s: a production app's webhook must use https", param)
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Internal reports whether an address lies inside a network rather than on the internet:
// private, loopback, link-local (169.254.169.254, the instance metadata, among them),
// unspecified, multicast or carrier-grade NAT.
func Internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || sharedSpace.Contains(ip)
}

// sharedSpace is 100.64.0.0/10, carrier-grade NAT, inside a provider's network.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// CheckFormat checks webhookFormat.
func CheckFormat(param, f string) error {
	if f != FormatRongCloud && f != FormatNexconn {
		return apierr.Malformed(param, "must be rongcloud or nexconn")
	}
	return nil
}

// CheckEvents checks a list of event types against the format that will carry them.
func CheckEvents(param string, events []string, format string) error {
	for _, e := range events {
		if !slices.Contains(Types, e) {
			return apierr.Malformed(param, "no event type "+e)
		}
		if !Supports(format, e) {
			return apierr.Malformed(param, "the "+format+" format does not carry "+e)
		}
	}
	return nil
}

// ParseURLs reads webhookUrls, a JSON object of event type to URL, each URL under the same rules
// as webhookUrl ("" drops the override).
func (p Policy) ParseURLs(param, raw string, env apps.Environment) (map[string]string, error) {
	if len(raw) > MaxURLs {
		return nil, apierr.TooLongParam(param, MaxURLs)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m == nil {
		return nil, apierr.Malformed(param, "not a JSON object of event type to URL")
	}
	for typ, u := range m {
		if !slices.Contains(Types, typ) {
			return nil, apierr.Malformed(param, "no event type "+typ)
		}
		if err := p.CheckURL(param, u, env); err != nil {
			return nil, err
		}
		if u == "" {
			delete(m, typ)
		}
	}
	return m, nil
}

// dialable reports whether a delivery may connect to ip (checked after DNS resolution).
func (p Policy) dialable(ip netip.Addr) bool {
	return !Internal(ip) || (p.AllowLoopback && ip.Unmap().IsLoopback())
}
