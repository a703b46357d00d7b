package label

import (
	"encoding/json"
	"fmt"

	"github.com/floorgate/floorgate"
)

// FromJSON fills the template named tmpl from JSON data: a shipment
// (waybill-100x180, waybill-100x150, waybill-76x130, packing-list), a
// location with its X-dimension (location, with x_mm), or an item with its
// GS1 element string (item, with gs1).
func FromJSON(tmpl string, raw []byte) (Label, error) {
	switch tmpl {
	case "waybill-100x180", "waybill-100x150", "waybill-76x130", "packing-list":
		var s floorgate.Shipment
		if err := json.Unmarshal(raw, &s); err != nil {
			return Label{}, fmt.Errorf("not a shipment: %w", err)
		}
		if tmpl == "packing-list" {
			return PackingList(s)
		}
		return Waybill(s, tmpl[len("waybill-"):])
	case "location":
		var d struct {
			floorgate.Location
			XMM float64 `json:"x_mm"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return Label{}, fmt.Errorf("not a location: %w", err)
		}
		return LocationLabel(d.Location, d.XMM)
	case "item":
		var d struct {
			floorgate.Item
			GS1 string `json:"gs1"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return Label{}, fmt.Errorf("not an item: %w", err)
		}
		return ItemLabel(d.Item, d.GS1)
	}
	return Label{}, fmt.Errorf("template %q is not one of waybill-100x180, waybill-100x150, waybill-76x130, packing-list, location, item", tmpl)
}
