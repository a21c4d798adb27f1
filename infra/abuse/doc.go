// Package abuse holds the tests of what hostile or careless callers send: oversized and
// pathological bodies, malformed JSON parameters, header tricks, timestamps at the window's
// edges, replayed requests, callers of one app reaching for another app's users, and more
// requests than a route allows.
package abuse
