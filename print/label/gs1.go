package label

import (
	"errors"
	"strings"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan/gs1"
)

// GS1ElementString converts a bracketed GS1 string such as
// "(01)04006381333931(10)L42(17)261231" to the FNC1 form a GS1-128 barcode
// carries: AIs and values run together, with GS (0x1D) after each value of
// an AI that is not of predefined length, when another AI follows. The
// data is checked by GS1's rules (package scan/gs1) first: a label never
// carries GS1 data a scanner would refuse.
func GS1ElementString(bracketed string) (string, error) {
	if !strings.HasPrefix(bracketed, "(") {
		return "", floorgate.FieldErrorf("", "%q is not a bracketed GS1 string like (01)…(10)…", bracketed)
	}
	bc, err := gs1.Parse(bracketed)
	if err == nil {
		err = bc.Validate()
	}
	if err != nil {
		var ge *gs1.Error
		if errors.As(err, &ge) {
			return "", floorgate.FieldErrorf("", "%s", ge.Reason)
		}
		return "", floorgate.FieldErrorf("", "%v", err)
	}
	var out strings.Builder
	for i, el := range bc.Elements {
		out.WriteString(el.AI + el.Value)
		if e, ok := gs1.Lookup(el.AI); ok && !e.Fixed && i < len(bc.Elements)-1 {
			out.WriteByte(0x1d)
		}
	}
	return out.String(), nil
}
