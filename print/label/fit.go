package label

import (
	"errors"
	"fmt"
)

// QuietModules is the Code 128 quiet zone on each side, in modules.
const QuietModules = 10

// Code128Width is the width in modules of a Code 128 (gs1: GS1-128, data in
// FNC1 form) of data, quiet zones excluded, or why data cannot be one.
// Every format that draws the bars itself — the raster, and ZPL, which
// sends them as a ^GF graphic — draws exactly these modules.
func Code128Width(data string, gs1 bool) (int, error) {
	if err := checkCode128(data); err != nil {
		return 0, err
	}
	k := Code128
	if gs1 {
		k = GS1128
	}
	m, err := modules(Barcode{Kind: k, Data: data})
	if err != nil {
		return 0, err
	}
	return len(m[0]), nil
}

// QRWidth is the side of a QR code of data, in modules, quiet zone excluded.
func QRWidth(data string) (int, error) {
	m, err := modules(Barcode{Kind: QR, Data: data})
	if err != nil {
		return 0, err
	}
	return len(m), nil
}

// ElementError is a problem with one element of a label: Index is its
// place in Label.Elements.
type ElementError struct {
	Index int
	Err   error
}

func (e *ElementError) Error() string { return fmt.Sprintf("elements[%d]: %v", e.Index, e.Err) }

// Unwrap returns the element's problem.
func (e *ElementError) Unwrap() error { return e.Err }

// Check lays l out for o without drawing it and returns what Render would
// refuse: a size, a barcode's X-dimension or data, a Fit text that does not
// fit its box (an *ElementError naming the element).
func Check(l Label, o Options) error {
	r, err := newRenderer(l, o)
	if err != nil {
		var ee *ElementError
		if errors.As(err, &ee) {
			return err
		}
		return fmt.Errorf("check: %w", err)
	}
	for i, e := range l.Elements {
		switch e := e.(type) {
		case Text:
			if _, err := r.layout(e); err != nil {
				return &ElementError{Index: i, Err: err}
			}
		case Barcode:
			if e.Kind == QR {
				if _, err := modules(e); err != nil {
					return &ElementError{Index: i, Err: err}
				}
				continue
			}
			if err := checkCode128(e.Data); err != nil {
				return &ElementError{Index: i, Err: err}
			}
		}
	}
	return nil
}
