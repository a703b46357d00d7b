package serial

import "errors"

// Errors returned by the drivers' command methods.
var (
	// ErrTimeout means the scanner did not answer a command in time
	// (after every retry the protocol allows).
	ErrTimeout = errors.New("no answer from scanner")

	// ErrNAK means the scanner refused a command: an SSI CMD_NAK after the
	// last retry, or a Honeywell menu command answered with NAK (the
	// command or its data is out of range).
	ErrNAK = errors.New("scanner refused command")

	// ErrDenied means an SSI scanner answered NAK_DENIED or NAK_BAD_CONTEXT:
	// resending cannot help, so the command is not retried.
	ErrDenied = errors.New("scanner denied command")

	// ErrENQ means a Honeywell scanner did not recognise a menu command
	// tag or subtag.
	ErrENQ = errors.New("scanner does not know command")

	// ErrBadCommand means a command was not well formed and was not sent.
	ErrBadCommand = errors.New("malformed command")

	// ErrNoFeedback means feedback was asked for but none is configured.
	ErrNoFeedback = errors.New("no feedback sequence configured")
)
