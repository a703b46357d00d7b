package gs1

import "strings"

// An Element is one AI element: the application identifier and its value,
// as scanned.
type Element struct {
	AI    string `json:"ai"`
	Value string `json:"value"`
}

// Barcode is what a scan carried, understood.
type Barcode struct {
	Raw string // exactly as received, AIM id included
	AIM string // "]C1", "]E0", … or "" when none was sent
	// Symbology is a human name: "GS1-128", "GS1 DataMatrix", "GS1 QR
	// Code", "GS1 DataBar", "EAN-13", "EAN-8", "UPC-A", "ITF-14", "ITF",
	// "Code 128", "Code 39", "QR Code", "Data Matrix", "GS1 Digital Link"
	// (a Digital Link URI that came without an AIM id) or "unknown".
	Symbology string
	Data      string // the data without the AIM id
	// Elements are the GS1 element strings in scan order; nil for non-GS1
	// data (including EAN/UPC/ITF-14 symbols: see GTIN).
	Elements    []Element
	DigitalLink bool
}

// Symbology names.
const (
	symGS1128      = "GS1-128"
	symGS1DM       = "GS1 DataMatrix"
	symGS1QR       = "GS1 QR Code"
	symGS1DataBar  = "GS1 DataBar"
	symEAN13       = "EAN-13"
	symEAN8        = "EAN-8"
	symUPCA        = "UPC-A"
	symITF14       = "ITF-14"
	symITF         = "ITF"
	symCode128     = "Code 128"
	symCode39      = "Code 39"
	symQR          = "QR Code"
	symDataMatrix  = "Data Matrix"
	symDigitalLink = "GS1 Digital Link"
	symUnknown     = "unknown"
)

// How the data after an AIM id is to be read.
type mode int

const (
	modeSniff  mode = iota // no or unknown AIM id: tell the form from the data
	modeGS1                // GS1 element strings
	modeSymbol             // an EAN/UPC/ITF symbol: a number, no elements
	mode2D                 // a non-GS1 2D symbol: a Digital Link URI, or plain
	modePlain              // a linear symbol: plain data
)

const gs = '\x1d'

// symbology names an AIM symbology identifier (ISO/IEC 15424: "]" + code
// character + modifier) and says how its data reads.
func symbology(aim, data string) (string, mode) {
	code, mod := aim[1], aim[2]
	switch code {
	case 'A':
		return symCode39, modePlain
	case 'C':
		if mod == '1' {
			return symGS1128, modeGS1
		}
		return symCode128, modePlain
	case 'd':
		if mod == '2' {
			return symGS1DM, modeGS1
		}
		return symDataMatrix, mode2D
	case 'Q':
		// Q3 and Q4: FNC1 in first position (GS1), without and with ECI.
		if mod == '3' || mod == '4' {
			return symGS1QR, modeGS1
		}
		return symQR, mode2D
	case 'e':
		return symGS1DataBar, modeGS1
	case 'E':
		switch mod {
		case '0', '3': // EAN-13 or UPC-A; 3: with add-on
			if len(data) == 12 || (len(data) >= 13 && data[0] == '0') {
				return symUPCA, modeSymbol
			}
			return symEAN13, modeSymbol
		case '4':
			return symEAN8, modeSymbol
		}
	case 'I':
		if len(data) == 14 {
			return symITF14, modeSymbol
		}
		return symITF, modePlain
	}
	return symUnknown, modeSniff
}

func isAIM(s string) bool {
	if len(s) < 3 || s[0] != ']' {
		return false
	}
	c, m := s[1], s[2]
	return (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') &&
		(m >= '0' && m <= '9' || m >= 'A' && m <= 'Z' || m >= 'a' && m <= 'z')
}

// Parse reads raw scan data in any of these forms:
//   - with an AIM symbology identifier prefix: ]C1 GS1-128, ]C0 Code 128,
//     ]d2 GS1 DataMatrix, ]d1 Data Matrix, ]Q3 GS1 QR, ]Q1 QR, ]e0 GS1
//     DataBar, ]E0 EAN-13 (UPC-A as 12 digits or 13 with a leading 0), ]E3
//     EAN-13 with add-on, ]E4 EAN-8, ]I1 ITF-14, ]A0 Code 39, …; an
//     unknown AIM id is kept in AIM with Symbology "unknown" and its data
//     is read as if no AIM id had come;
//   - GS1 element strings with GS (0x1D) after variable-length values (a
//     leading FNC1 sent as GS is skipped);
//   - the bracketed human-readable form "(01)09501101530003(10)ABC", where
//     a "(" inside a value is written "\(";
//   - GS1 Digital Link URIs: any host and path prefix, the primary key and
//     its qualifiers as path segments, data attributes as query
//     parameters, values percent-decoded;
//   - plain data without AIM id: 8, 12, 13 or 14 digits with a valid check
//     digit are EAN-8, UPC-A, EAN-13 or ITF-14; anything else is plain
//     data with Symbology "unknown".
//
// Parse returns an *Error only when the form itself cannot be read: an AI
// GS1 does not define, a fixed-length value cut short, a variable-length
// value longer than its maximum (RuleMissingGS: the scanner dropped a GS),
// unbalanced brackets, a Digital Link path that is not key and qualifiers
// in order. Content rules are Validate's. On error the Barcode still has
// Raw, AIM, Symbology and Data.
func Parse(raw string) (Barcode, error) {
	b := Barcode{Raw: raw, Data: raw, Symbology: symUnknown}
	m := modeSniff
	if isAIM(raw) {
		b.AIM, b.Data = raw[:3], raw[3:]
		b.Symbology, m = symbology(b.AIM, b.Data)
	}
	var err *Error
	switch m {
	case modeGS1:
		if strings.HasPrefix(b.Data, "(") {
			b.Elements, err = parseBracketed(b.Data)
		} else {
			b.Elements, err = parseElementString(b.Data)
		}
	case mode2D:
		b.Elements, b.DigitalLink, err = parseDigitalLink(b.Data)
	case modeSniff:
		err = b.sniff()
	}
	if err != nil {
		b.Elements, b.DigitalLink = nil, false
		return b, err
	}
	return b, nil
}

// sniff tells the form of data that came without a known AIM id.
func (b *Barcode) sniff() *Error {
	d := b.Data
	var err *Error
	switch {
	case strings.IndexByte(d, gs) >= 0:
		b.Elements, err = parseElementString(d)
	case len(d) >= 2 && d[0] == '(' && isDigit(d[1]):
		b.Elements, err = parseBracketed(d)
	case hasHTTPScheme(d):
		b.Elements, b.DigitalLink, err = parseDigitalLink(d)
		if b.DigitalLink && b.AIM == "" {
			b.Symbology = symDigitalLink
		}
	case b.AIM == "" && allDigits(d) && validCheckDigit(d):
		switch len(d) {
		case 8:
			b.Symbology = symEAN8
		case 12:
			b.Symbology = symUPCA
		case 13:
			b.Symbology = symEAN13
		case 14:
			b.Symbology = symITF14
		}
	}
	return err
}

// Get returns the value of the first element with this AI.
func (b Barcode) Get(ai string) (string, bool) {
	for _, e := range b.Elements {
		if e.AI == ai {
			return e.Value, true
		}
	}
	return "", false
}

// GTIN is the barcode's GTIN as 14 digits: from AI 01 (or 02 when there is
// no 01), or from an EAN-13, UPC-A, EAN-8 or ITF-14 symbol. It is false
// when the barcode carries none, or when what it carries is not a GTIN
// with a valid check digit.
func (b Barcode) GTIN() (string, bool) {
	if b.Elements != nil {
		v, ok := b.Get("01")
		if !ok {
			v, ok = b.Get("02")
		}
		if !ok || len(v) != 14 || !allDigits(v) {
			return "", false
		}
		return NormalizeGTIN(v)
	}
	if s, ok := b.symbolNumber(); ok && allDigits(s) {
		return NormalizeGTIN(s)
	}
	return "", false
}

// symbolNumber is the GTIN part of an EAN/UPC/ITF-14 symbol's data: the
// data, less an EAN add-on (]E3).
func (b Barcode) symbolNumber() (string, bool) {
	switch b.Symbology {
	case symEAN13, symUPCA, symEAN8, symITF14:
	default:
		return "", false
	}
	d := b.Data
	if b.AIM == "]E3" && (len(d) == 15 || len(d) == 18) {
		d = d[:13]
	}
	return d, true
}
