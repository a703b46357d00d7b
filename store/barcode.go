package store

import (
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan/gs1"
)

// Barcodes are indexed by what they identify, not by how they were
// printed: an EAN-13, its UPC-A or GTIN-14 form and a GS1-128 carrying
// (01) with the same GTIN are one key; a GLN location label is keyed by
// its GLN and extension. Anything else is keyed by its data as it is.

// barcodeKey is the index key of a barcode as master data registers it.
func barcodeKey(code string) string {
	if g, ok := gs1.NormalizeGTIN(code); ok {
		return "gtin:" + g
	}
	bc, err := gs1.Parse(code)
	if err != nil || bc.Elements == nil {
		return code
	}
	return keyOf(bc, code)
}

// keyOf is the index key of a parsed barcode.
func keyOf(bc gs1.Barcode, data string) string {
	if gln, ok := bc.Get("414"); ok {
		ext, _ := bc.Get("254")
		return "gln:" + gln + "/" + ext
	}
	if g, ok := bc.GTIN(); ok {
		return "gtin:" + g
	}
	return data
}

// readScan understands a scan: the key to look it up by, and what its GS1
// data says (or why it is invalid).
func readScan(aim, data string) (string, floorgate.Read) {
	bc, err := gs1.Parse(aim + data)
	if err == nil {
		err = bc.Validate()
	}
	var r floorgate.Read
	if err != nil {
		r.Problem, r.ProblemRule = err.Error(), "form"
		if e, ok := err.(*gs1.Error); ok {
			r.Problem, r.ProblemAI, r.ProblemRule = e.Reason, e.AI, e.Rule
		}
		return data, r
	}
	r.Symbology = bc.Symbology
	r.GTIN, _ = bc.GTIN()
	r.Batch, _ = bc.Get("10")
	r.Serial, _ = bc.Get("21")
	if d, ok := bc.Get("17"); ok {
		r.Expiry = gs1Date(d)
	} else if d, ok := bc.Get("15"); ok {
		r.Expiry = gs1Date(d)
	}
	for _, ai := range []string{"30", "37"} {
		if q, ok := bc.Get(ai); ok {
			if n, err := strconv.Atoi(q); err == nil && n > 0 {
				r.Qty = n
				break
			}
		}
	}
	return keyOf(bc, data), r
}

// gs1Date reads a validated YYMMDD date; day 00 means the last day of the
// month, as GS1 defines it. Years: GS1 General Specifications 7.12 (a
// sliding window of 49 years back and 50 ahead would need the clock; the
// 2000s are assumed, which holds for expiry dates on the floor).
func gs1Date(s string) time.Time {
	if len(s) != 6 {
		return time.Time{}
	}
	y, _ := strconv.Atoi(s[0:2])
	m, _ := strconv.Atoi(s[2:4])
	d, _ := strconv.Atoi(s[4:6])
	if d == 0 {
		return time.Date(2000+y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(2000+y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

// serialKey identifies one unit by its item and serial number.
func serialKey(sku, serial string) []byte {
	return []byte(sku + "\x00" + serial)
}
