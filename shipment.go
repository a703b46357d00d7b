package floorgate

import (
	"fmt"
	"strings"
)

// Party is a sender or recipient on a waybill.
type Party struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

// ShipmentLine is one item line printed on a waybill or packing list.
type ShipmentLine struct {
	SKU  string `json:"sku"`
	Name string `json:"name"`
	Qty  int    `json:"qty"`
}

// Shipment is what the ERP knows about an order's parcel: who it goes to,
// with which carrier and tracking number, and what is in it. The waybill is
// filled from it.
type Shipment struct {
	Order     string         `json:"order"`
	Carrier   string         `json:"carrier"`
	Tracking  string         `json:"tracking"`
	Recipient Party          `json:"recipient"`
	Sender    Party          `json:"sender,omitzero"`
	Lines     []ShipmentLine `json:"lines,omitempty"`
	// Customs holds cross-border declarations as the carrier wants them.
	Customs map[string]string `json:"customs,omitempty"`
}

// Validate names the first field of s that is missing or wrong.
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
	}
	for i, l := range s.Lines {
		if l.SKU == "" && l.Name == "" {
			return FieldErrorf(fmt.Sprintf("lines[%d]", i), "needs a sku or a name")
		}
		if l.Qty <= 0 {
			return FieldErrorf(fmt.Sprintf("lines[%d].qty", i), "%d must be at least 1", l.Qty)
		}
	}
	return nil
}
