// Package testfloor is the small floor the store's tests run on: a site,
// four locations, four items and three pickers, all with one PIN.
//
// It imports neither store nor bbolt, only the root package, so that
// package store's own tests, which cannot import storetest (storetest
// imports store), build the same floor as every test that uses storetest.
// It must not hold anything but data.
package testfloor

import (
	"fmt"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan/gs1"
)

// Site is the site the test stores serve.
var Site = floorgate.Site{ID: "site-1", Name: "Test", Gateway: "gw-1", Policy: floorgate.DefaultPolicy()}

// Start is when the tests' manual clocks start.
var Start = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// PIN is every fixture operator's PIN.
const PIN = "2468"

// PINHash is PIN hashed, once per test binary and only when asked for: a
// hash takes as long as the gateway makes it take.
var PINHash = sync.OnceValue(func() string {
	h, err := floorgate.HashPIN(PIN)
	if err != nil {
		panic(err)
	}
	return h
})

// Locations are L1…L4, with barcodes LOC-1…LOC-4.
func Locations() []floorgate.Location {
	var ls []floorgate.Location
	for i := 1; i <= 4; i++ {
		ls = append(ls, floorgate.Location{Code: fmt.Sprintf("L%d", i), Barcode: fmt.Sprintf("LOC-%d", i), LabelXMM: 0.375})
	}
	return ls
}

// Items are S1…S4, each with one barcode, ItemBarcode(i).
func Items() []floorgate.Item {
	var is []floorgate.Item
	for i := 1; i <= 4; i++ {
		is = append(is, floorgate.Item{SKU: fmt.Sprintf("S%d", i), Name: fmt.Sprintf("Item %d", i), Barcodes: []string{ItemBarcode(i)}})
	}
	return is
}

// Operators are pickers op1…op3 with badges BADGE1…BADGE3 and PIN.
func Operators() []floorgate.Operator {
	var ops []floorgate.Operator
	for i := 1; i <= 3; i++ {
		ops = append(ops, floorgate.Operator{ID: fmt.Sprintf("op%d", i), Name: "Picker", Badge: fmt.Sprintf("BADGE%d", i), PINHash: PINHash(), Role: floorgate.RolePicker})
	}
	return ops
}

// ItemBarcode is item Si's EAN-13: 69000000000i and its check digit.
func ItemBarcode(i int) string {
	p := fmt.Sprintf("69000000000%d", i)
	return p + string(gs1.CheckDigit(p))
}
