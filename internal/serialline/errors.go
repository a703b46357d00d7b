package serialline

import "errors"

// ErrNotFound means no serial port matched (Find).
var ErrNotFound = errors.New("no such serial port")
