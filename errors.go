package floorgate

import (
	"errors"
	"fmt"
)

// Error codes for errors that a person or a client program sees. They are
// stable; the messages are plain language, never a Go error string.
const (
	EINVALID      = "invalid"      // the request or data is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // a referenced thing does not exist
	ECONFLICT     = "conflict"     // it exists already, or the state does not allow it
	EUNAUTHORIZED = "unauthorized" // identity not proven
	EUNAVAILABLE  = "unavailable"  // the gateway cannot do it now (disk full, shutting down)
	EINTERNAL     = "internal"     // a fault in floorgate itself
)

// Error is an error with a code and a message fit to show to a person.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the code of the first *Error in err's chain, EINTERNAL when
// there is none, and "" for a nil error.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage is the message of the first *Error in err's chain, or a
// generic sentence: internal detail is for logs, not for people.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "internal error"
}
