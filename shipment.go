package floorgate

import (
	"fmt"
	"regexp"
	"strings"
)

// Party is a sender or recipient on a waybill.
type Party struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

// ShipmentLine is one item line of a parcel: verified at packing, printed on
// the waybill and the packing list.
type ShipmentLine struct {
	SKU  string `json:"sku"`
	Name string `json:"name"`
	Qty  int    `json:"qty"`
	// Fragile asks the packer, once the line is in the parcel, to scan the
	// shipment's FragileMaterial: proof it was wrapped.
	Fragile bool `json:"fragile,omitempty"`
}

// Money is an amount in a currency, as a decimal string ("12.50") so that
// nothing is rounded on the way.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Customs is a cross-border parcel's declaration, printed in the customs
// block of its waybill and checked at packing against what was verified.
type Customs struct {
	// Currency is the ISO 4217 code of every value.
	Currency string `json:"currency"`
	// DeclaredValue is the parcel's total declared value.
	DeclaredValue string `json:"declared_value"`
	// Contents describes the contents in a few words, in English.
	Contents string `json:"contents"`
	// HSCode and Origin are the main item's, for a one-line declaration.
	HSCode string `json:"hs_code,omitempty"`
	Origin string `json:"origin,omitempty"`
	// Items declare the contents line by line; when given, every line of
	// the shipment is declared with its quantity.
	Items []CustomsItem `json:"items,omitempty"`
}

// CustomsItem is one declared line.
type CustomsItem struct {
	SKU         string `json:"sku"`
	Description string `json:"description"`
	HSCode      string `json:"hs_code"`
	Qty         int    `json:"qty"`
	Value       string `json:"value"`
	Origin      string `json:"origin"`
	WeightG     int    `json:"weight_g,omitempty"`
}

// PackExtra is something that goes into the parcel besides its lines: a gift
// or an insert (a card, a flyer). The packer scans it like an item — by the
// barcode of its SKU in master data, or by its own Barcode — and the waybill
// does not print until every extra is in.
type PackExtra struct {
	Kind    string `json:"kind"` // gift or insert
	SKU     string `json:"sku,omitempty"`
	Barcode string `json:"barcode,omitempty"`
	Name    string `json:"name"`
	Qty     int    `json:"qty"`
}

// The kinds of extras.
const (
	ExtraGift   = "gift"
	ExtraInsert = "insert"
)

// PackInstruction is a packing instruction shown on the pack screen and
// printed on the packing list: for the whole parcel (Line 0) or for its
// line Line (1-based).
type PackInstruction struct {
	Line int    `json:"line,omitempty"`
	Text string `json:"text"`
}

// PrintData is a label the carrier made: printed as given instead of a
// rendered template. Format is the printer language of Data (zpl, tspl,
// epl2, escpos) — printed byte for byte on a printer of that language — or
// an image (png, pdf) the gateway rasterises for any printer at its
// resolution.
type PrintData struct {
	Format string `json:"format"`
	// Data is the label, base64-encoded in JSON.
	Data []byte `json:"data"`
	// Media is the label's size, "WIDTHxHEIGHT" in millimetres (100x180).
	Media string `json:"media"`
}

// The print data formats.
var printDataFormats = []string{"zpl", "tspl", "epl2", "escpos", "png", "pdf"}

// MaxPrintData bounds a carrier's label: a 203 dpi 100×180 mm page as an
// uncompressed graphic is about 150 kB.
const MaxPrintData = 1 << 20

// Shipment is what the ERP knows about an order's parcel: who it goes to,
// with which carrier, service and tracking number, what is in it and how it
// is packed. The waybill is filled from it.
type Shipment struct {
	Order   string `json:"order"`
	Carrier string `json:"carrier"`
	// Service is the carrier's product (standard, express, 顺丰标快 …).
	Service  string `json:"service,omitempty"`
	Tracking string `json:"tracking"`
	// SortCode is the carrier's routing code, printed big (大头笔, 三段码).
	SortCode string `json:"sort_code,omitempty"`
	// CollectionPoint is the carrier's hub the parcel goes to (集包地).
	CollectionPoint string       `json:"collection_point,omitempty"`
	Variant         OrderVariant `json:"variant,omitempty"`
	Recipient       Party        `json:"recipient"`
	Sender          Party        `json:"sender,omitzero"`
	WeightG         int          `json:"weight_g,omitempty"`
	// COD is cash on delivery: what the recipient pays the courier.
	COD          *Money            `json:"cod,omitempty"`
	Lines        []ShipmentLine    `json:"lines,omitempty"`
	Extras       []PackExtra       `json:"extras,omitempty"`
	Instructions []PackInstruction `json:"instructions,omitempty"`
	// FragileMaterial is the barcode of the packing material a fragile
	// line is wrapped in (bubble wrap, a foam box).
	FragileMaterial string     `json:"fragile_material,omitempty"`
	Customs         *Customs   `json:"customs,omitempty"`
	PrintData       *PrintData `json:"print_data,omitempty"`
}

var (
	decimalRE  = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,4})?$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	countryRE  = regexp.MustCompile(`^[A-Z]{2}$`)
	hsRE       = regexp.MustCompile(`^[0-9]{6,10}$`)
	mediaRE    = regexp.MustCompile(`^([0-9]{2,3})x([0-9]{2,3})$`)
)

// Validate names the first field of s that is missing or wrong. What a
// waybill template needs besides is its own check (its required fields).
func (s Shipment) Validate() error {
	switch {
	case strings.TrimSpace(s.Order) == "":
		return FieldErrorf("order", "missing")
	case strings.TrimSpace(s.Carrier) == "":
		return FieldErrorf("carrier", "missing")
	case strings.TrimSpace(s.Tracking) == "":
		return FieldErrorf("tracking", "missing")
	case len(s.Tracking) > 64:
		return FieldErrorf("tracking", "longer than 64 characters")
	case strings.TrimSpace(s.Recipient.Name) == "":
		return FieldErrorf("recipient.name", "missing")
	case strings.TrimSpace(s.Recipient.Phone) == "":
		return FieldErrorf("recipient.phone", "missing")
	case strings.TrimSpace(s.Recipient.Address) == "":
		return FieldErrorf("recipient.address", "missing")
	case s.WeightG < 0:
		return FieldErrorf("weight_g", "%d is negative", s.WeightG)
	}
	switch s.Variant {
	case "", VariantNormal, VariantPreSale, VariantCrossBorder, VariantPeak:
	default:
		return FieldErrorf("variant", "%q is not one of normal, presale, crossborder, peak", s.Variant)
	}
	fragile := false
	for i, l := range s.Lines {
		if strings.TrimSpace(l.SKU) == "" {
			return FieldErrorf(fmt.Sprintf("lines[%d].sku", i), "missing: a line is verified at packing by a barcode of its SKU")
		}
		if l.Qty <= 0 {
			return FieldErrorf(fmt.Sprintf("lines[%d].qty", i), "%d must be at least 1", l.Qty)
		}
		fragile = fragile || l.Fragile
	}
	if fragile && strings.TrimSpace(s.FragileMaterial) == "" {
		return FieldErrorf("fragile_material", "missing: a fragile line is confirmed by scanning its packing material's barcode")
	}
	if s.COD != nil {
		if err := s.COD.validate(); err != nil {
			return InField("cod", err)
		}
	}
	for i, e := range s.Extras {
		if err := e.validate(); err != nil {
			return InField(fmt.Sprintf("extras[%d]", i), err)
		}
	}
	for i, in := range s.Instructions {
		switch {
		case strings.TrimSpace(in.Text) == "":
			return FieldErrorf(fmt.Sprintf("instructions[%d].text", i), "missing")
		case len(in.Text) > 200:
			return FieldErrorf(fmt.Sprintf("instructions[%d].text", i), "longer than 200 bytes")
		case in.Line < 0 || in.Line > len(s.Lines):
			return FieldErrorf(fmt.Sprintf("instructions[%d].line", i), "%d is not a line of the shipment (1 to %d, or 0 for the parcel)", in.Line, len(s.Lines))
		}
	}
	if s.Customs != nil {
		if err := s.Customs.validate(s.Contents()); err != nil {
			return InField("customs", err)
		}
	} else if s.Variant == VariantCrossBorder {
		return FieldErrorf("customs", "missing: a cross-border parcel is declared to customs")
	}
	if s.PrintData != nil {
		if err := s.PrintData.Validate(); err != nil {
			return InField("print_data", err)
		}
	}
	return nil
}

func (m Money) validate() error {
	switch {
	case !decimalRE.MatchString(m.Amount):
		return FieldErrorf("amount", "%q is not a decimal amount like 12.50", m.Amount)
	case !currencyRE.MatchString(m.Currency):
		return FieldErrorf("currency", "%q is not an ISO 4217 code like CNY", m.Currency)
	}
	return nil
}

func (e PackExtra) validate() error {
	switch {
	case e.Kind != ExtraGift && e.Kind != ExtraInsert:
		return FieldErrorf("kind", "%q is not one of gift, insert", e.Kind)
	case e.SKU == "" && e.Barcode == "":
		return FieldErrorf("sku", "missing: an extra is scanned by its SKU's barcode or its own barcode")
	case strings.TrimSpace(e.Name) == "":
		return FieldErrorf("name", "missing: the packer is told what to put in")
	case e.Qty <= 0:
		return FieldErrorf("qty", "%d must be at least 1", e.Qty)
	}
	return nil
}

func (c Customs) validate(contents map[string]int) error {
	switch {
	case !currencyRE.MatchString(c.Currency):
		return FieldErrorf("currency", "%q is not an ISO 4217 code like USD", c.Currency)
	case !decimalRE.MatchString(c.DeclaredValue):
		return FieldErrorf("declared_value", "%q is not a decimal amount like 12.50", c.DeclaredValue)
	case strings.TrimSpace(c.Contents) == "":
		return FieldErrorf("contents", "missing: customs want the contents described")
	case c.HSCode != "" && !hsRE.MatchString(c.HSCode):
		return FieldErrorf("hs_code", "%q is not an HS code (6 to 10 digits)", c.HSCode)
	case c.Origin != "" && !countryRE.MatchString(c.Origin):
		return FieldErrorf("origin", "%q is not an ISO 3166 country code like CN", c.Origin)
	}
	for i, it := range c.Items {
		f := fmt.Sprintf("items[%d]", i)
		switch {
		case it.SKU == "":
			return FieldErrorf(f+".sku", "missing")
		case strings.TrimSpace(it.Description) == "":
			return FieldErrorf(f+".description", "missing")
		case !hsRE.MatchString(it.HSCode):
			return FieldErrorf(f+".hs_code", "%q is not an HS code (6 to 10 digits)", it.HSCode)
		case it.Qty <= 0:
			return FieldErrorf(f+".qty", "%d must be at least 1", it.Qty)
		case !decimalRE.MatchString(it.Value):
			return FieldErrorf(f+".value", "%q is not a decimal amount like 12.50", it.Value)
		case !countryRE.MatchString(it.Origin):
			return FieldErrorf(f+".origin", "%q is not an ISO 3166 country code like CN", it.Origin)
		}
	}
	if len(c.Items) > 0 {
		if err := CustomsMismatch(c.Items, contents); err != "" {
			return FieldErrorf("items", "%s", err)
		}
	}
	return nil
}

// Contents is what goes into the parcel by SKU: its lines, and its gifts
// and inserts that have a SKU. A customs declaration line by line
// declares exactly these.
func (s Shipment) Contents() map[string]int {
	out := LineCounts(s.Lines)
	for _, e := range s.Extras {
		if e.SKU != "" {
			out[e.SKU] += e.Qty
		}
	}
	return out
}

// LineCounts sums the lines' quantities by SKU.
func LineCounts(lines []ShipmentLine) map[string]int {
	out := map[string]int{}
	for _, l := range lines {
		out[l.SKU] += l.Qty
	}
	return out
}

// CustomsMismatch compares a declaration with counts by SKU (the shipment's
// lines, or what the packer verified) and says the first difference, or ""
// when they agree.
func CustomsMismatch(items []CustomsItem, counts map[string]int) string {
	declared := map[string]int{}
	for _, it := range items {
		declared[it.SKU] += it.Qty
	}
	for _, it := range items {
		if n := counts[it.SKU]; n != declared[it.SKU] {
			return fmt.Sprintf("%s declared %d, the parcel has %d", it.SKU, declared[it.SKU], n)
		}
	}
	for sku, n := range counts {
		if _, ok := declared[sku]; !ok && n > 0 {
			return fmt.Sprintf("%s (%d) is in the parcel and not declared", sku, n)
		}
	}
	return ""
}

// Validate names what is wrong with a carrier's label.
func (p PrintData) Validate() error {
	ok := false
	for _, f := range printDataFormats {
		ok = ok || p.Format == f
	}
	switch {
	case !ok:
		return FieldErrorf("format", "%q is not one of %s", p.Format, strings.Join(printDataFormats, ", "))
	case len(p.Data) == 0:
		return FieldErrorf("data", "missing")
	case len(p.Data) > MaxPrintData:
		return FieldErrorf("data", "%d bytes is more than %d", len(p.Data), MaxPrintData)
	case !mediaRE.MatchString(p.Media):
		return FieldErrorf("media", "%q is not a label size like 100x180 (millimetres)", p.Media)
	}
	return nil
}

// MediaMM parses a label size "100x180" into millimetres.
func MediaMM(media string) (w, h float64, ok bool) {
	m := mediaRE.FindStringSubmatch(media)
	if m == nil {
		return 0, 0, false
	}
	var wi, hi int
	fmt.Sscan(m[1], &wi)
	fmt.Sscan(m[2], &hi)
	return float64(wi), float64(hi), wi > 0 && hi > 0
}
