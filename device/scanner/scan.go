package scanner

import "strings"

// Scan is one decoded barcode as a scanner delivered it, whatever the
// transport.
type Scan struct {
	// Data is the barcode content without AIM identifier, prefix or
	// suffix. GS1 separators (GS, 0x1D) are kept.
	Data string
	// AIM is the AIM symbology identifier ("]C1", "]E0"…) when the data
	// carried one, else empty.
	AIM string
	// Symbology names the barcode type ("Code 128", "EAN-13", "GS1-128",
	// "DataMatrix", "QR Code"…), from the scanner's own barcode type or the
	// AIM identifier; empty when neither says.
	Symbology string
}

// SplitAIM returns the AIM identifier leading data (']', a symbology
// letter, a modifier character) and the rest.
func SplitAIM(data string) (aim, rest string) {
	if len(data) < 3 || data[0] != ']' || !isAlpha(data[1]) || !isAlnum(data[2]) {
		return "", data
	}
	return data[:3], data[3:]
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }

// AIMSymbology names the symbology an AIM identifier announces
// (ISO/IEC 15424). Modifiers that mark GS1 data get their own names.
func AIMSymbology(aim string) string {
	if len(aim) != 3 {
		return ""
	}
	switch aim {
	case "]C1":
		return "GS1-128"
	case "]E0":
		return "EAN-13"
	case "]E4":
		return "EAN-8"
	case "]I1":
		return "ITF-14"
	case "]d2":
		return "GS1 DataMatrix"
	case "]Q3":
		return "GS1 QR Code"
	case "]e0":
		return "GS1 DataBar"
	}
	switch aim[1] {
	case 'A':
		return "Code 39"
	case 'C':
		return "Code 128"
	case 'E':
		return "EAN/UPC"
	case 'F':
		return "Codabar"
	case 'G':
		return "Code 93"
	case 'I':
		return "Interleaved 2 of 5"
	case 'L':
		return "PDF417"
	case 'd':
		return "DataMatrix"
	case 'Q':
		return "QR Code"
	case 'e':
		return "GS1 DataBar"
	case 'z':
		return "Aztec"
	}
	return ""
}

// NewScan builds a Scan from decoded data, splitting off an AIM identifier.
// symbology, when not empty, is what the scanner said; a GS1 AIM modifier
// refines it (an SSI scanner reports GS1 DataMatrix as DataMatrix).
func NewScan(data, symbology string) Scan {
	aim, rest := SplitAIM(data)
	fromAIM := AIMSymbology(aim)
	if symbology == "" || strings.HasPrefix(fromAIM, "GS1") {
		if fromAIM != "" {
			symbology = fromAIM
		}
	}
	return Scan{Data: rest, AIM: aim, Symbology: symbology}
}
