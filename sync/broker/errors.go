package broker

import "errors"

// Start refuses to open the site's message bus to the network carelessly.
// Its error wraps one of these, after the offending Listen address.
var (
	// ErrAnonymousNotLoopback: AllowAnonymous is set but Listen is not a
	// loopback address.
	ErrAnonymousNotLoopback = errors.New("not a loopback address, so AllowAnonymous must be false")

	// ErrNoUsersNotLoopback: Listen is not a loopback address and Users is
	// empty.
	ErrNoUsersNotLoopback = errors.New("not a loopback address, so Users must not be empty")

	// ErrNoTLSNotLoopback: Listen is not a loopback address and TLS is nil.
	// Passwords and the master data in commands (PINs among them) would
	// cross the network in clear.
	ErrNoTLSNotLoopback = errors.New("not a loopback address, so TLS must be set")
)

// ErrStoreDirInUse: another broker, in this process or another, holds
// Options.StoreDir. Two JetStream servers writing one directory corrupt it.
var ErrStoreDirInUse = errors.New("store dir is in use by another broker")
