// Package guarantees holds the test that keeps docs/guarantees.md true to the code: every test
// the page names exists, none of the guarantees rests on a test skipped as a known race, and the
// README links the page.
package guarantees
