package shiftgen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Config says what shift to generate. Zero fields take the defaults of
// Default.
type Config struct {
	Seed uint64
	// Start is when the first person may arrive; Length is how long the
	// pickers take new work (the last tasks and parcels finish after it).
	Start  time.Time
	Length time.Duration
	// Pickers and Packers are how many of each work the shift.
	Pickers, Packers int
	// Band is the site's distance band in millimetres (both ends in it),
	// and what a read outside it gets: "reject" (refused
	// distance_out_of_band) or "warn" (judged as in the band, an accepted
	// read with the warning).
	MinMM, MaxMM float64
	DistanceMode string
	// DuplicateWindow is the site's double-read window.
	DuplicateWindow time.Duration
	// OutboundStandard is packed → outbound confirmed's limit.
	OutboundStandard time.Duration
	// PIN is every operator's PIN.
	PIN string
	// CartPickers is how many pickers (the first ones) now and then take
	// a cart of cluster orders instead of their next task; negative for
	// none (a shift of discrete picking only).
	CartPickers int
}

// TruthSeeds are the seeds the truth test plays: at least three.
var TruthSeeds = []uint64{1, 20261207, 424242}

// Default is the shift the truth test plays for a seed: four hours of
// picking (and the packing after it), three pickers, one of whom now and
// then takes a cart, two packers, a few hundred scans.
func Default(seed uint64) Config {
	return Config{Seed: seed, Start: time.Date(2026, 12, 7, 7, 40, 0, 0, time.UTC), Length: 4 * time.Hour,
		Pickers: 3, Packers: 2, MinMM: 50, MaxMM: 100, DistanceMode: "reject", DuplicateWindow: 300 * time.Millisecond,
		OutboundStandard: 30 * time.Minute, PIN: "2468", CartPickers: 1}
}

// Site is the generated site's master data.
type Site struct {
	Locations []Location
	Items     []Item
	Operators []Operator
	Carts     []Cart
	Totes     []Tote
	Walls     []Wall
}

// Location is a bin with its label.
type Location struct {
	Code, Zone, Barcode string
	LabelXMM            float64
}

// Item is a SKU with its EAN-13 barcode, stocked at Home.
type Item struct {
	SKU, Name, Barcode, Home string
}

// Operator is a picker or packer, with the device they work on.
type Operator struct {
	ID, Name, Badge, Role, Device string
}

// Roles of operators.
const (
	RolePicker = "picker"
	RolePacker = "packer"
)

// Task is a pick task; its order has a Shipment of the same lines.
type Task struct {
	ID, Order string
	Lines     []Line
	Tracking  string // the order's waybill tracking number
	Mode      string // "" (discrete) or ModeCluster
}

// Line asks for Qty units of SKU from Location.
type Line struct {
	Location, SKU string
	Qty           int
}

// ean13 completes 12 digits with their GS1 check digit.
func ean13(d12 string) string {
	sum := 0
	for i := len(d12) - 1; i >= 0; i-- {
		w := 1
		if (len(d12)-1-i)%2 == 0 {
			w = 3
		}
		sum += int(d12[i]-'0') * w
	}
	return d12 + string(rune('0'+(10-sum%10)%10))
}

var productNames = []string{"Phone case", "USB-C cable", "Power bank", "Earbuds", "Green tea", "Face cream",
	"T-shirt", "Socks", "Mug", "Notebook", "Gel pen", "Desk lamp", "Yoga mat", "Bottle", "Sunscreen"}

// newSite makes the site: three zones of bins, sixty items each at its own
// home bin, the pickers (PDA pda-Pnn) and packers (pack station pack-n),
// the carts and totes.
func newSite(cfg Config, rng *rand.Rand) Site {
	var s Site
	for _, z := range []string{"A", "B", "C"} {
		for aisle := 1; aisle <= 3; aisle++ {
			for bay := 1; bay <= 4; bay++ {
				for level := 1; level <= 2; level++ {
					code := fmt.Sprintf("%s-%02d-%02d-%d", z, aisle, bay, level)
					s.Locations = append(s.Locations, Location{Code: code, Zone: z, Barcode: code, LabelXMM: 0.375})
				}
			}
		}
	}
	// Items get homes in a shuffled order, so tasks do not walk one aisle.
	homes := rng.Perm(len(s.Locations))
	for i := range 60 {
		s.Items = append(s.Items, Item{SKU: fmt.Sprintf("SKU-%04d", 101+i),
			Name:    fmt.Sprintf("%s %d", productNames[i%len(productNames)], i/len(productNames)+1),
			Barcode: ean13(fmt.Sprintf("6955%08d", 4200+i*37)), Home: s.Locations[homes[i]].Code})
	}
	for i := range cfg.Pickers {
		id := fmt.Sprintf("P%02d", i+1)
		s.Operators = append(s.Operators, Operator{ID: id, Name: fmt.Sprintf("Picker %d", i+1),
			Badge: fmt.Sprintf("B31%02d", i+1), Role: RolePicker, Device: "pda-" + id})
	}
	for i := range cfg.Packers {
		s.Operators = append(s.Operators, Operator{ID: fmt.Sprintf("K%02d", i+1), Name: fmt.Sprintf("Packer %d", i+1),
			Badge: fmt.Sprintf("B32%02d", i+1), Role: RolePacker, Device: fmt.Sprintf("pack-%d", i+1)})
	}
	addCarts(&s)
	return s
}

// item returns the item of sku.
func (s *Site) item(sku string) Item {
	for _, it := range s.Items {
		if it.SKU == sku {
			return it
		}
	}
	panic("shiftgen: no item " + sku)
}

// Unknown barcodes: valid EAN-13s the site does not know.
func unknownBarcode(rng *rand.Rand) string {
	return ean13(fmt.Sprintf("6977%08d", rng.IntN(1e8)))
}
