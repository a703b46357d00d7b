// Package store keeps floorgate's state in a bbolt file and runs the floor's
// operations against it: master data, pick tasks, device sessions, the event
// journal and the outbox.
//
// It is the only package that imports go.etcd.io/bbolt. Every write goes
// through one writer goroutine that commits all pending requests in one
// transaction (group commit): a lone request costs one commit, many
// concurrent requests share one, and each learns its own outcome. A state
// change and the events it produces are committed together; a caller is
// answered only after that commit.
//
// The store decides nothing about the pick flow itself: the rules live in
// package scan, which the store calls with the current state.
package store
