package profiles

import (
	"context"
	"slices"
	"unicode"

	"imusers/shared/apps"
	"imusers/shared/wire/apierr"
)

// Limits of tags.
const (
	MaxTags       = 20   // distinct tags per user
	MaxTagBytes   = 40   // bytes of UTF-8 per tag
	MaxTagUsers   = 1000 // users of one batch set
	MaxTagQueries = 50   // users of one get
)

// CheckTags returns tags without repeats, in the order first given, or the error of the first
// tag at fault: empty, or other than Unicode letters, digits, '_', '-' and '.' (1002); longer
// than MaxTagBytes, or more than MaxTags distinct (1005, at the first tag past it). param names
// the list in errors.
func CheckTags(param string, tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		switch {
		case t == "":
			return nil, apierr.Malformed(param, "a tag is empty")
		case len(t) > MaxTagBytes:
			return nil, apierr.New(apierr.TooLong, "%s: tag %q is longer than %d bytes", param, t, MaxTagBytes)
		case !tagText(t):
			return nil, apierr.Malformed(param, "a tag takes only letters, digits, '_', '-' and '.'")
		}
		if slices.Contains(out, t) {
			continue
		}
		if out = append(out, t); len(out) > MaxTags {
			return nil, apierr.TooMany(param, MaxTags)
		}
	}
	return out, nil
}

func tagText(t string) bool {
	for _, r := range t {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != '.' {
			return false
		}
	}
	return true
}

// SetTags replaces the tags of every user with tags (checked with CheckTags); none clears
// them. Every user must exist and be active, or nothing changes. One batched read of the users
// (100 to a call), then one batch write per 25 users.
func (s *Service) SetTags(ctx context.Context, app apps.App, ids, tags []string) error {
	found, err := s.Store.GetUsers(ctx, app.Key, ids)
	if err != nil {
		return err
	}
	if err := active(found, ids); err != nil {
		return err
	}
	return s.Store.SetTags(ctx, app.Key, ids, tags)
}

// Tags returns every user's tags, [] for an unknown user or one without tags. One batched read.
func (s *Service) Tags(ctx context.Context, app apps.App, ids []string) (map[string][]string, error) {
	found, err := s.Store.Tags(ctx, app.Key, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(ids))
	for _, id := range ids {
		out[id] = found[id]
		if out[id] == nil {
			out[id] = []string{}
		}
	}
	return out, nil
}
