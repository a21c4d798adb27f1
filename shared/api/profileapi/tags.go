package profileapi

import (
	"context"
	"encoding/json"
	"strings"

	"imusers/shared/api/call"
	"imusers/shared/domain/profiles"
	"imusers/shared/wire/apierr"
	"imusers/shared/wire/form"
)

// TagSet: /user/tag/set.json, {"userId":"…","tags":[…]} as JSON (as the official SDKs send it)
// or as a form.
func (a *API) TagSet(ctx context.Context, r *call.Request) (any, error) {
	return a.setTags(ctx, r, "userId", func(p *form.Reader) []string {
		return []string{p.UserID("userId")}
	})
}

// TagBatchSet: /user/tag/batch/set.json, {"userIds":[…],"tags":[…]} as JSON or as a form.
func (a *API) TagBatchSet(ctx context.Context, r *call.Request) (any, error) {
	return a.setTags(ctx, r, "userIds", func(p *form.Reader) []string {
		return p.UserIDs("userIds", profiles.MaxTagUsers)
	})
}

// setTags reads the users (with users, from param) and the tags, from the JSON body or the
// form, and replaces the users' tags.
func (a *API) setTags(ctx context.Context, r *call.Request, param string, users func(*form.Reader) []string) (any, error) {
	p := r.Params
	if r.JSON != nil {
		values, err := DecodeTagBody(r.JSON, param)
		if err != nil {
			return nil, err
		}
		p = form.NewReader(values)
	}
	ids := users(p)
	if err := p.Err(); err != nil {
		return nil, err
	}
	// A v4 tag is one JSON string: a ',' in it is no separator, and fails the tag's rule.
	tags, err := tagList(p, r.Wire != call.V4)
	if err != nil {
		return nil, err
	}
	return nil, a.Profiles.SetTags(ctx, r.App, ids, tags)
}

// tagList reads "tags", repeated or (with split) comma-joined; present and empty means no tags.
func tagList(p *form.Reader, split bool) ([]string, error) {
	if !p.Has("tags") {
		return nil, apierr.Missing("tags")
	}
	var tags []string
	for _, v := range p.List("tags") {
		switch {
		case v == "":
		case split:
			tags = append(tags, strings.Split(v, ",")...)
		default:
			tags = append(tags, v)
		}
	}
	return profiles.CheckTags("tags", tags)
}

// tagBody is the JSON body of both set calls; a field left out stays nil.
type tagBody struct {
	UserID  *string   `json:"userId"`
	UserIDs *[]string `json:"userIds"`
	Tags    *[]string `json:"tags"`
}

// DecodeTagBody reads a set call's JSON body into the form values the form body would carry:
// the users under param ("userId", a string, or "userIds", an array of strings) and "tags" (an
// array of strings; [] is an empty value, no tags). A body that is not such an object, a field
// missing or of another type, an empty value or a comma inside one (the form's list separator)
// is a 1002.
func DecodeTagBody(body []byte, param string) (form.Values, error) {
	var b tagBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, apierr.Malformed("request body", "not a JSON object of "+param+" and tags")
	}
	ids := b.UserIDs
	if param == "userId" {
		ids = nil
		if b.UserID != nil {
			ids = &[]string{*b.UserID}
		}
	}
	switch {
	case ids == nil:
		return nil, apierr.Missing(param)
	case b.Tags == nil:
		return nil, apierr.Missing("tags")
	}
	for _, list := range []struct {
		name   string
		values []string
	}{{param, *ids}, {"tags", *b.Tags}} {
		for _, v := range list.values {
			if v == "" || strings.Contains(v, ",") {
				return nil, apierr.Malformed(list.name, "a value is empty or contains ','")
			}
		}
	}
	tags := *b.Tags
	if len(tags) == 0 {
		tags = []string{""}
	}
	return form.Values{param: *ids, "tags": tags}, nil
}

// TagsGet: /user/tags/get.json; every user asked appears once, [] when it has no tags.
func (a *API) TagsGet(ctx context.Context, r *call.Request) (any, error) {
	ids := r.Params.UserIDs("userIds", profiles.MaxTagQueries)
	if err := r.Params.Err(); err != nil {
		return nil, err
	}
	tags, err := a.Profiles.Tags(ctx, r.App, ids)
	if err != nil {
		return nil, err
	}
	return Tags{tags, ids}, nil
}

// Tags is the tags of the users asked, by user, and the users in the order asked.
type Tags struct {
	Result map[string][]string `json:"result"`
	asked  []string
}
