package floorgate

import "time"

// Scan is one barcode read (or keyed entry) arriving from a device.
type Scan struct {
	// ID is chosen by the device and unique per device; a scan sent again
	// with the same ID gets the same verdict and changes nothing.
	ID     string `json:"scan_id"`
	Device string `json:"-"`
	// Data is the decoded barcode content, without the AIM identifier.
	Data string `json:"data"`
	// AIM is the AIM symbology identifier (for example "]E0"), when known.
	AIM string `json:"aim,omitempty"`
	// Qty is a keyed quantity for the item, where the line allows it;
	// zero means the scan counts one.
	Qty int `json:"qty,omitempty"`
	// DistanceMM is a distance the device measured itself; zero means none.
	DistanceMM float64 `json:"distance_mm,omitempty"`
	// Geometry lets the distance be computed from the decoder's image.
	Geometry *Geometry `json:"geometry,omitempty"`
	// Unmeasurable says the device the scan came from can never know how
	// far it read from (a wired scanner: no range finder, no image
	// geometry; its firmware profile's distance is none), so a scan with
	// no distance is not_measurable rather than unknown. The gateway sets
	// it from the device's profile; a device never does.
	Unmeasurable bool `json:"-"`
	// DeviceTime is the device's own clock at the read.
	DeviceTime time.Time `json:"device_time,omitzero"`
	// At is when the gateway received the scan (its clock).
	At time.Time `json:"-"`
}

// Point is a pixel position in a decoder's image.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Geometry is what a camera decoder knows of where the symbol was in its
// image: the symbol's corners (top-left, top-right, bottom-right,
// bottom-left, as the decoder reports them), the image width, and the
// camera's focal length in pixels.
type Geometry struct {
	Corners    [4]Point `json:"corners"`
	ImageWidth int      `json:"image_width"`
	FocalPx    float64  `json:"focal_px,omitempty"`
}

// MatchKind says what a barcode turned out to be.
type MatchKind string

// The match kinds.
const (
	MatchNone     MatchKind = ""
	MatchLocation MatchKind = "location"
	MatchItem     MatchKind = "item"
	MatchOrder    MatchKind = "order" // an order (or its tote) at the pack station
	MatchCart     MatchKind = "cart"  // a picking cart's label
	MatchTote     MatchKind = "tote"  // a tote's label
	MatchBatch    MatchKind = "batch" // a batch's container label
	MatchSlot     MatchKind = "slot"  // a put wall slot's label
)

// Match is a barcode resolved against master data, with what the barcode
// itself says.
type Match struct {
	Kind     MatchKind
	Location *Location
	Item     *Item
	Shipment *Shipment // with MatchOrder
	Cart     *Cart     // with MatchCart
	Tote     *Tote     // with MatchTote
	// Bound is where the tote is bound now (with MatchTote), nil when it is
	// free.
	Bound *ToteBinding
	// CartBusy is the device working the cart (with MatchCart), "" when the
	// cart is free.
	CartBusy string
	Batch    *Batch // with MatchBatch
	Wall     *Wall  // with MatchSlot: the wall, and the slot (1-based)
	Slot     int
	// WallBusy is the device sorting at the batch's wall (with
	// MatchBatch), "" when none is.
	WallBusy string
	Read     Read
	// SerialTaken is set when the serial number read was already picked at
	// this site: the same unit scanned twice.
	SerialTaken bool
}

// Read is what a barcode's content says, beyond which item or location it
// names: the GS1 data a pick rule may need.
type Read struct {
	Symbology string
	GTIN      string // 14 digits, when the barcode carries one
	Batch     string // AI 10
	Serial    string // AI 21
	// Expiry is AI 17 (or 15 best before when 17 is absent), at the start
	// of its day; zero when absent.
	Expiry time.Time
	// Qty is a count from AI 30 or 37 (a case of several units); 0 when
	// absent.
	Qty int
	// Problem, when set, is why the barcode's content is invalid, with the
	// AI and the GS1 rule it breaks.
	Problem     string
	ProblemAI   string
	ProblemRule string
}

// MatchInfo is which location or item a barcode names at a site, as the
// barcode lookup API answers it.
type MatchInfo struct {
	Kind string `json:"kind"` // location, item, cart, tote, slot, batch, or none
	Cart string `json:"cart,omitempty"`
	Tote string `json:"tote,omitempty"`
	// Order is the order a tote holds, when it holds one.
	Order    string `json:"order,omitempty"`
	Wall     string `json:"wall,omitempty"` // a slot's wall, a batch's wall
	Slot     int    `json:"slot,omitempty"`
	Batch    string `json:"batch,omitempty"`
	Location string `json:"location,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Name     string `json:"name,omitempty"`
}

// MatchInfoOf is m as the lookup API answers it.
func MatchInfoOf(m Match) MatchInfo {
	switch m.Kind {
	case MatchLocation:
		return MatchInfo{Kind: "location", Location: m.Location.Code}
	case MatchItem:
		return MatchInfo{Kind: "item", SKU: m.Item.SKU, Name: m.Item.Name}
	case MatchCart:
		return MatchInfo{Kind: "cart", Cart: m.Cart.ID}
	case MatchTote:
		i := MatchInfo{Kind: "tote", Tote: m.Tote.ID}
		if m.Bound != nil {
			i.Order = m.Bound.Order
		}
		return i
	case MatchSlot:
		return MatchInfo{Kind: "slot", Wall: m.Wall.ID, Slot: m.Slot}
	case MatchBatch:
		return MatchInfo{Kind: "batch", Batch: m.Batch.ID, Wall: m.Batch.Wall}
	}
	return MatchInfo{Kind: "none"}
}
