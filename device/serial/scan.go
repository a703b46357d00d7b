package serial

import "github.com/floorgate/floorgate/device/scanner"

// Scan is one decoded barcode as a scanner delivered it.
type Scan = scanner.Scan

func newScan(data, symbology string) Scan { return scanner.NewScan(data, symbology) }
