package floorgate

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes for errors that a person or a client program sees. They are
// stable; the messages are plain language, never a Go error string.
const (
	EINVALID      = "invalid"      // the request or data is malformed or breaks a rule
	ENOTFOUND     = "not_found"    // a referenced thing does not exist
	ECONFLICT     = "conflict"     // it exists already, or the state does not allow it
	EUNAUTHORIZED = "unauthorized" // identity not proven
	EFORBIDDEN    = "forbidden"    // identity proven, but the role may not do this
	EUNAVAILABLE  = "unavailable"  // the gateway cannot do it now (disk full, shutting down)
	EUNSUPPORTED  = "unsupported"  // the request's body is not in the format the endpoint takes
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

// FieldError is invalid input pinned to the field it is in, as a JSON-style
// path ("tasks[2].lines[0].sku"), with a plain reason.
type FieldError struct {
	Field  string
	Reason string
}

// Error implements the error interface.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

// FieldErrorf returns a *FieldError for field with a formatted reason.
func FieldErrorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// InField returns err placed under the path prefix: a *FieldError gets the
// prefix on its field, any other error becomes the reason at prefix.
func InField(prefix string, err error) *FieldError {
	var fe *FieldError
	if errors.As(err, &fe) {
		switch {
		case fe.Field == "":
			return &FieldError{Field: prefix, Reason: fe.Reason}
		case prefix == "" || strings.HasPrefix(fe.Field, "["):
			return &FieldError{Field: prefix + fe.Field, Reason: fe.Reason}
		}
		return &FieldError{Field: prefix + "." + fe.Field, Reason: fe.Reason}
	}
	return &FieldError{Field: prefix, Reason: err.Error()}
}
