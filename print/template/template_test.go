package template

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

const siteSF = `id: sf-100x180
version: 7
title: Our SF layout
kind: waybill
carriers: [SF]
media: 100x180
required: [tracking, sender.name, sender.phone, sender.address, recipient.name, recipient.phone, recipient.address, collection_point]
elements:
  - {type: text, x: 3, y: 3, w: 94, h: 10, size: 8, bold: true, text: "SITE {collection_point}"}
  - {type: code128, x: 3, y: 20, w: 94, h: 15, align: center, data: "{tracking}"}
  - {type: picture, x: 70, y: 150, w: 20, h: 20, file: logo.png}
`

// TestSiteDirectoryOverrides: a site's template with a shipped id takes its
// place (chosen for the carrier, its own version and required fields), a
// new id is added, and the rest stay shipped.
func TestSiteDirectoryOverrides(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "sf.yaml", siteSF)
	write(t, dir, "logo.png", string(squarePNG(t)))
	write(t, dir, "mine.yaml", strings.Replace(strings.Replace(siteSF, "id: sf-100x180", "id: zto-mine", 1), "carriers: [SF]", "carriers: [ZTO]", 1))
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := set.Waybill("SF", "", "100x180")
	if err != nil {
		t.Fatal(err)
	}
	if sf.Version != 7 || sf.File != filepath.Join(dir, "sf.yaml") {
		t.Fatalf("SF chose %s v%d from %s, want the site's sf-100x180 v7", sf.ID, sf.Version, sf.File)
	}
	zto, err := set.Waybill("ZTO", "", "100x180")
	if err != nil || zto.ID != "zto-mine" {
		t.Fatalf("ZTO chose %v, %v; want the site's zto-mine over the shipped tongda-100x180", zto, err)
	}
	if yto, _ := set.Waybill("YTO", "", "100x180"); yto == nil || yto.ID != "tongda-100x180" {
		t.Fatalf("YTO chose %v, want the shipped tongda-100x180", yto)
	}
	s := sampleShipment()
	s.CollectionPoint = ""
	var fe *floorgate.FieldError
	if err := sf.Check(s); !errors.As(err, &fe) || fe.Field != "collection_point" {
		t.Fatalf("the site's SF template requires collection_point; Check said %v", err)
	}
	s.CollectionPoint = "深圳"
	l, err := sf.Shipment(s, "zh", printedAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Elements) != 3 {
		t.Fatalf("the site's layout has 3 elements, the label %d", len(l.Elements))
	}
	if _, ok := set.Get("waybill-100x150"); !ok {
		t.Fatal("the shipped waybill-100x150 is gone")
	}
}

// TestMalformedTemplates: every kind of bad template is refused at load,
// naming the file and the field, and nothing is loaded.
func TestMalformedTemplates(t *testing.T) {
	good := "id: x\nversion: 1\ntitle: T\nkind: waybill\ncarriers: [SF]\nmedia: 100x150\nrequired: [tracking]\nelements:\n  - {type: code128, x: 3, y: 3, w: 94, h: 15, data: \"{tracking}\"}\n"
	cases := []struct{ name, yaml, want string }{
		{"unknown top field", good + "colour: red\n", "field colour not found"},
		{"no version", strings.Replace(good, "version: 1\n", "", 1), "version: missing"},
		{"bad kind", strings.Replace(good, "kind: waybill", "kind: parcel", 1), `kind: "parcel" is not one of`},
		{"bad media", strings.Replace(good, "media: 100x150", "media: A6", 1), `media: "A6" is not a label size`},
		{"no carriers", strings.Replace(good, "carriers: [SF]\n", "", 1), "carriers: missing"},
		{"unknown required field", strings.Replace(good, "[tracking]", "[tracking, recipient.nam]", 1), `required[1]: "recipient.nam" is not a field`},
		{"unknown placeholder", strings.Replace(good, "{tracking}", "{trackin}", 1), "elements[0] (line 9).data: {trackin}: no such field"},
		{"unknown filter", strings.Replace(good, "{tracking}", "{tracking|shout}", 1), `no filter "shout"`},
		{"off the label", strings.Replace(good, "w: 94", "w: 194", 1), "is not inside the 100x150 mm label"},
		{"bad module", strings.Replace(good, "h: 15,", "h: 15, module: [0.3],", 1), "module[0]: 0.3 mm is not a whole number of dots"},
		{"unknown element field", strings.Replace(good, "h: 15,", "h: 15, colour: red,", 1), "field colour not found"},
		{"bad type", strings.Replace(good, "code128", "ean13", 1), `type: "ean13" is not one of`},
		{"bad language", strings.Replace(good, `data: "{tracking}"}`, `data: "{tracking}"}`+"\n  - {type: text, x: 3, y: 30, w: 50, h: 5, size: 4, text: {fr: Bonjour}}", 1), `language "fr" is not one of zh, en`},
		{"unclosed brace", strings.Replace(good, "{tracking}", "{tracking", 1), "is not closed"},
		{"missing picture", strings.Replace(good, `data: "{tracking}"}`, `data: "{tracking}"}`+"\n  - {type: picture, x: 3, y: 30, w: 20, h: 20, file: nope.png}", 1), "nope.png: cannot be read"},
		{"bad rows list", strings.Replace(good, `data: "{tracking}"}`, `data: "{tracking}"}`+"\n  - {type: rows, x: 3, y: 30, w: 90, h: 20, row: 4, rows: items, columns: [{dx: 0, w: 90, size: 3, text: x}]}", 1), `rows: "items" is not one of the lists`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "bad.yaml", c.yaml)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, "bad.yaml")) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not name the file and %q", err, c.want)
			}
		})
	}
	// The good one loads: the cases fail for their one change.
	dir := t.TempDir()
	write(t, dir, "good.yaml", good)
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "twin.yaml", good)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `id: "x" is also the id of`) {
		t.Fatalf("two site files with one id: %v", err)
	}
}

// TestCheckNamesTheField: a shipment each shipped waybill cannot print is
// refused naming the field, and a full one passes every template.
func TestCheckNamesTheField(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	sf, _ := set.Get("sf-100x180")
	intl, _ := set.Get("intl-100x150")
	generic, _ := set.Get("waybill-100x150")
	cases := []struct {
		name  string
		tmpl  *Template
		edit  func(*floorgate.Shipment)
		field string
	}{
		{"no sender", generic, func(s *floorgate.Shipment) { s.Sender = floorgate.Party{} }, "sender.name"},
		{"no sender phone", generic, func(s *floorgate.Shipment) { s.Sender.Phone = "" }, "sender.phone"},
		{"no sort code for SF", sf, func(s *floorgate.Shipment) { s.SortCode = "" }, "sort_code"},
		{"address too long", generic, func(s *floorgate.Shipment) {
			s.Recipient.Address = strings.Repeat("广东省深圳市南山区科技园", 30)
		}, "recipient.address"},
		{"tracking too long for the barcode", generic, func(s *floorgate.Shipment) { s.Tracking = strings.Repeat("SF12", 15) }, "tracking"},
		{"tracking not ASCII", generic, func(s *floorgate.Shipment) { s.Tracking = "顺丰123" }, "tracking"},
		{"cross-border without weight", intl, func(s *floorgate.Shipment) { s.WeightG = 0 }, "weight_g"},
		{"cross-border without customs", intl, func(s *floorgate.Shipment) { s.Customs = nil }, "customs"},
		{"customs not matching the lines", intl, func(s *floorgate.Shipment) { s.Customs.Items[0].Qty = 5 }, "customs.items"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sampleShipment()
			if c.tmpl == intl {
				s = sampleCrossBorder()
			}
			if err := c.tmpl.Check(s); err != nil {
				t.Fatalf("the sample itself: %v", err)
			}
			c.edit(&s)
			var fe *floorgate.FieldError
			if err := c.tmpl.Check(s); !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("Check = %v, want a field error on %s", err, c.field)
			}
		})
	}
}

// TestWaybillChoice: carrier, variant and media choose the template.
func TestWaybillChoice(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		carrier string
		variant floorgate.OrderVariant
		media   string
		want    string
	}{
		{"SF", "", "100x180", "sf-100x180"},
		{"sf", floorgate.VariantPreSale, "100x180", "sf-100x180"},
		{"ZTO", "", "100x180", "tongda-100x180"},
		{"EMS", "", "100x180", "waybill-100x180"},
		{"SF", "", "100x150", "waybill-100x150"},
		{"SF", "", "76x130", "waybill-76x130"},
		{"DHL", floorgate.VariantCrossBorder, "100x150", "intl-100x150"},
	}
	for _, c := range cases {
		got, err := set.Waybill(c.carrier, c.variant, c.media)
		if err != nil || got.ID != c.want {
			t.Errorf("%s %s %s: %v %v, want %s", c.carrier, c.variant, c.media, got, err, c.want)
		}
	}
	if _, err := set.Waybill("DHL", floorgate.VariantCrossBorder, "76x130"); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("no cross-border layout on 76x130: %v", err)
	}
}

func write(t *testing.T, dir, name, s string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
