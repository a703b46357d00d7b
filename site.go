package floorgate

import (
	"fmt"
	"regexp"
	"time"
)

// Site is one warehouse running one gateway, with the standards it enforces.
type Site struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Gateway string `json:"gateway"`
	Policy  Policy `json:"policy"`
}

// Policy is the part of a site's standard the scan engine enforces.
type Policy struct {
	Distance DistancePolicy `json:"distance"`
	// DuplicateWindow is how soon the same barcode read again by the same
	// device counts as a double read rather than a second unit.
	DuplicateWindow time.Duration `json:"duplicate_window"`
	// LocationPattern, when set, is the regular expression every location
	// barcode that is not a GS1 GLN label ((414) with (254)) must match.
	LocationPattern string `json:"location_pattern,omitempty"`
}

// DistanceMode says what happens to a scan read outside the distance band.
type DistanceMode string

// The distance modes.
const (
	DistanceReject DistanceMode = "reject" // refuse the scan
	DistanceWarn   DistanceMode = "warn"   // accept it with a warning tone
	DistanceOff    DistanceMode = "off"    // do not check
)

// DistancePolicy is the scanning-distance standard: reads between MinMM and
// MaxMM (inclusive) are in the band.
type DistancePolicy struct {
	MinMM float64      `json:"min_mm"`
	MaxMM float64      `json:"max_mm"`
	Mode  DistanceMode `json:"mode"`
}

// DefaultPolicy is the floor standard: scan at 5–10 cm, reject outside it,
// and treat the same code read twice within 300 ms as one read.
func DefaultPolicy() Policy {
	return Policy{
		Distance:        DistancePolicy{MinMM: 50, MaxMM: 100, Mode: DistanceReject},
		DuplicateWindow: 300 * time.Millisecond,
	}
}

// Validate reports the first field of p that is out of range.
func (p Policy) Validate() error {
	d := p.Distance
	switch d.Mode {
	case DistanceReject, DistanceWarn, DistanceOff:
	default:
		return fmt.Errorf("distance.mode: %q is not one of reject, warn, off", d.Mode)
	}
	if d.Mode != DistanceOff {
		if d.MinMM <= 0 {
			return fmt.Errorf("distance.min_mm: %v must be above 0", d.MinMM)
		}
		if d.MaxMM <= d.MinMM {
			return fmt.Errorf("distance.max_mm: %v must be above min_mm %v", d.MaxMM, d.MinMM)
		}
	}
	if p.LocationPattern != "" {
		if _, err := regexp.Compile(p.LocationPattern); err != nil {
			return fmt.Errorf("location_pattern: %q is not a regular expression: %v", p.LocationPattern, err)
		}
	}
	if p.DuplicateWindow < 0 || p.DuplicateWindow > 10*time.Second {
		return fmt.Errorf("duplicate_window: %v must be between 0 and 10s", p.DuplicateWindow)
	}
	return nil
}

// Zone is an area of the floor (ambient, cold, high-value, …).
type Zone struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Location is a bin or slot that stock is picked from.
type Location struct {
	Code    string `json:"code"`
	Zone    string `json:"zone"`
	Barcode string `json:"barcode"`
	// WalkSeq is where the location comes on a picker's walk through the
	// floor: every pick list is walked in ascending WalkSeq (0 when the
	// site gives none: the lines' own order).
	WalkSeq int `json:"walk_seq,omitempty"`
	// LabelXMM is the X-dimension (narrow bar width) of the Code 128 label
	// floorgate printed for this location, in millimetres; it gives the
	// symbol's physical width for the distance check. Zero means unknown.
	LabelXMM float64 `json:"label_x_mm,omitempty"`
}

// Item is a stock-keeping unit and the barcodes it carries.
type Item struct {
	SKU      string   `json:"sku"`
	Name     string   `json:"name"`
	NameZH   string   `json:"name_zh,omitempty"`
	Barcodes []string `json:"barcodes"`
	// SymbolWidthMM is the printed width of the item's barcode when known;
	// zero means the nominal width of its symbology is assumed.
	SymbolWidthMM float64 `json:"symbol_width_mm,omitempty"`
}

// Role is what an operator may do.
type Role string

// The roles.
const (
	RolePicker     Role = "picker"
	RolePacker     Role = "packer"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Operator is a person who logs in on the floor with a badge and a PIN.
type Operator struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Badge   string `json:"badge"`
	PINHash string `json:"pin_hash,omitempty"` // never in an answer: the store clears it
	Role    Role   `json:"role"`
	// Zones, when set, limit a picker to tasks whose every location is in
	// one of these zones (Location.Zone); empty means every zone.
	Zones []string `json:"zones,omitempty"`
	// Disabled operators cannot sign in anywhere: set on the gateway
	// (floorgate operators disable), kept when the ERP sends the operator
	// again.
	Disabled bool `json:"disabled,omitempty"`
}

// DeviceKind is the sort of device a scan comes from.
type DeviceKind string

// The device kinds.
const (
	DevicePDA     DeviceKind = "pda"
	DeviceScanner DeviceKind = "scanner"
	DevicePrinter DeviceKind = "printer"
)

// Device is an enrolled PDA, scanner or printer.
type Device struct {
	ID        string     `json:"id"`
	Kind      DeviceKind `json:"kind"`
	Model     string     `json:"model,omitempty"`
	TokenHash string     `json:"token_hash,omitempty"`
	// FocalPx is the camera's focal length in pixels, when the device has
	// one; a scan's geometry may carry its own.
	FocalPx  float64   `json:"focal_px,omitempty"`
	Enrolled time.Time `json:"enrolled"`
	// Disabled devices are refused at hello, whatever their token.
	Disabled bool `json:"disabled,omitempty"`
	// Station is the pack station the device was set to, by name, so its
	// waybills go to that station's printers whatever the device's id. A
	// wired scanner's station is its own id.
	Station string `json:"station,omitempty"`
}

// PackStation is the station a device packs at: the one it was set to, or
// else its own id (how stations were named before they had names).
func (d Device) PackStation() string {
	if d.Station != "" {
		return d.Station
	}
	return d.ID
}
