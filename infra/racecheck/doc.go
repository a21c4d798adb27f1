// Package racecheck holds the concurrency tests: bounded numbers of clients race conflicting
// calls against the whole service over loopback (run with -race), and each test then checks the
// invariants that must survive any interleaving — one user per userId, the cap counting each user
// once, no profile on a deactivated user, presence equal to the open sockets, no ban outliving
// its end.
package racecheck
