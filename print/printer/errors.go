package printer

import (
	"errors"
	"fmt"
)

// ErrNotReady is matched (errors.Is) by a *FaultError for a job that was
// refused because the printer reported a fault before it was sent.
var ErrNotReady = errors.New("printer not ready")

// ErrFaultAfter is matched (errors.Is) by a *FaultError for a job that was
// sent but after which the printer reported a fault: the label may be missing.
var ErrFaultAfter = errors.New("printer fault after job")

// ErrUnconfirmed is matched (errors.Is) by Print's error for a job that was
// sent but after which the printer did not answer its status query: the
// label may well be out (a printer that stopped reading still holds what
// was sent in its buffers), so the job must not go to another printer on
// a guess.
var ErrUnconfirmed = errors.New("no status after the job")

// FaultError says which fault a printer reported around a job.
type FaultError struct {
	Printer string
	State   State
	Sent    bool // false: refused before sending; true: fault seen after sending
}

func (e *FaultError) Error() string {
	if e.Sent {
		return fmt.Sprintf("printer %s: %s after job", e.Printer, e.State.Fault())
	}
	return fmt.Sprintf("printer %s not ready: %s (job not sent)", e.Printer, e.State.Fault())
}

// Fault is the fault the printer reported ("paper out", "offline", …).
func (e *FaultError) Fault() string { return e.State.Fault() }

// Is makes errors.Is(err, ErrNotReady) and errors.Is(err, ErrFaultAfter) work.
func (e *FaultError) Is(target error) bool {
	return (target == ErrNotReady && !e.Sent) || (target == ErrFaultAfter && e.Sent)
}
