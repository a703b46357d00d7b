// Package store keeps floorgate's state in a bbolt file and runs the floor's
// operations against it: master data, pick tasks, device sessions, the event
// journal and the outbox.
//
// It is the only package that imports go.etcd.io/bbolt. Writes are
// committed one transaction at a time (commit.go): a lone request is
// committed by its own caller, at the cost of one commit and no hand-off,
// and requests that arrive while a commit runs are committed together by
// the writer goroutine in the next transaction (group commit), so many
// concurrent requests share one and each learns its own outcome. A state
// change and the events it produces are committed together; a caller is
// answered only after that commit.
//
// The store decides nothing about the pick flow itself: the rules live in
// package scan, which the store calls with the current state.
package store
