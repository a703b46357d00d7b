package label

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func testFont(t testing.TB) *Font {
	t.Helper()
	f, err := DefaultFont()
	if err != nil {
		t.Fatalf("no CJK font (make test installs fonts-wqy-microhei): %v", err)
	}
	return f
}

func shipment() floorgate.Shipment {
	return floorgate.Shipment{
		Order:    "SO20261122-0042",
		Carrier:  "SF Express 顺丰速运",
		Tracking: "SF1234567890123",
		Recipient: floorgate.Party{
			Name:    "王小明",
			Phone:   "13812345678",
			Address: "广东省深圳市南山区科技园南区高新南七道18号深圳湾科技生态园10栋B座1203室",
		},
		Sender: floorgate.Party{
			Name:    "杭州仓 floorgate",
			Phone:   "0571-88886666",
			Address: "浙江省杭州市余杭区仓前街道文一西路1500号3号库",
		},
		Lines: []floorgate.ShipmentLine{
			{SKU: "A-1001", Name: "保温杯 500ml", Qty: 2},
			{SKU: "B-2002", Name: "Phone case", Qty: 1},
			{SKU: "C-3003", Name: "数据线 USB-C 1m", Qty: 3},
			{SKU: "D-4004", Name: "充电器 20W", Qty: 1},
			{SKU: "E-5005", Name: "贴膜", Qty: 2},
			{SKU: "F-6006", Name: "耳机", Qty: 1},
			{SKU: "G-7007", Name: "支架", Qty: 1},
			{SKU: "H-8008", Name: "收纳袋", Qty: 4},
			{SKU: "I-9009", Name: "清洁布", Qty: 5},
			{SKU: "J-1010", Name: "说明书", Qty: 1},
			{SKU: "K-1111", Name: "赠品", Qty: 1},
			{SKU: "L-1212", Name: "贺卡", Qty: 1},
		},
	}
}

func itemFixture() floorgate.Item {
	return floorgate.Item{SKU: "A-1001", Name: "Vacuum flask", NameZH: "保温杯 500ml"}
}

func templates(t testing.TB) map[string]Label {
	t.Helper()
	out := map[string]Label{}
	must := func(name string, l Label, err error) {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = l
	}
	for _, size := range []string{"100x180", "100x150", "76x130"} {
		l, err := Waybill(shipment(), size)
		must("waybill_"+size, l, err)
	}
	l, err := PackingList(shipment())
	must("packinglist", l, err)
	l, err = LocationLabel(floorgate.Location{Code: "A-01-02-03", Zone: "常温", Barcode: "A010203"}, 0.25)
	must("location", l, err)
	l, err = ItemLabel(itemFixture(), "(01)04006381333931(10)L42(17)261231")
	must("item", l, err)
	return out
}

// TestGolden renders every template in every format and compares the bytes
// with testdata/; go test ./print/label -update rewrites them.
func TestGolden(t *testing.T) {
	o := Options{DPI: 203, Font: testFont(t)}
	for name, l := range templates(t) {
		for _, f := range []Format{ZPL, TSPL, ESCPOS, PNG} {
			t.Run(name+"."+string(f), func(t *testing.T) {
				got, err := Render(l, f, o)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", name+"."+string(f))
				if *update {
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./print/label -update)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file (%d bytes, want %d); run go test ./print/label -update and review the diff", path, len(got), len(want))
				}
			})
		}
	}
}

func TestRefusals(t *testing.T) {
	mod := func(f func(*floorgate.Shipment)) floorgate.Shipment {
		s := shipment()
		f(&s)
		return s
	}
	loc := floorgate.Location{Code: "A-01", Barcode: "A01"}
	item := floorgate.Item{SKU: "A-1001", Name: "flask"}
	const gs1 = "(01)04006381333931(10)L42"
	tests := []struct {
		name, field string
		build       func() (Label, error)
	}{
		{"unknown size", "size", func() (Label, error) { return Waybill(shipment(), "100x100") }},
		{"missing tracking", "tracking", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Tracking = "" }), "100x150")
		}},
		{"tracking too long for 76 mm", "tracking", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Tracking = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" }), "76x130")
		}},
		{"tracking not ASCII", "tracking", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Tracking = "顺丰123" }), "100x150")
		}},
		{"missing carrier", "carrier", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Carrier = " " }), "100x150")
		}},
		{"missing recipient phone", "recipient.phone", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Recipient.Phone = "" }), "100x150")
		}},
		{"bad recipient phone", "recipient.phone", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Recipient.Phone = "12345" }), "100x150")
		}},
		{"missing recipient name", "recipient.name", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Recipient.Name = "" }), "100x150")
		}},
		{"missing recipient address", "recipient.address", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Recipient.Address = "" }), "100x150")
		}},
		{"address too long", "recipient.address", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Recipient.Address = strings.Repeat("深圳市南山区", 40) }), "76x130")
		}},
		{"missing sender name", "sender.name", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Sender.Name = "" }), "100x150")
		}},
		{"missing sender address", "sender.address", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Sender.Address = "" }), "100x150")
		}},
		{"bad sender phone", "sender.phone", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Sender.Phone = "call me" }), "100x150")
		}},
		{"zero quantity", "lines[1].qty", func() (Label, error) {
			return Waybill(mod(func(s *floorgate.Shipment) { s.Lines[1].Qty = 0 }), "100x150")
		}},
		{"packing list without lines", "lines", func() (Label, error) {
			return PackingList(mod(func(s *floorgate.Shipment) { s.Lines = nil }))
		}},
		{"packing list missing order", "order", func() (Label, error) {
			return PackingList(mod(func(s *floorgate.Shipment) { s.Order = "" }))
		}},
		{"location missing barcode", "barcode", func() (Label, error) { return LocationLabel(floorgate.Location{Code: "A-01"}, 0.25) }},
		{"location missing code", "code", func() (Label, error) { return LocationLabel(floorgate.Location{Barcode: "A01"}, 0.25) }},
		{"location x-dim not whole dots", "xdim", func() (Label, error) { return LocationLabel(loc, 0.3) }},
		{"location x-dim zero", "xdim", func() (Label, error) { return LocationLabel(loc, 0) }},
		{"item missing sku", "sku", func() (Label, error) { return ItemLabel(floorgate.Item{Name: "x"}, gs1) }},
		{"item missing name", "name", func() (Label, error) { return ItemLabel(floorgate.Item{SKU: "x"}, gs1) }},
		{"item missing gs1", "gs1", func() (Label, error) { return ItemLabel(item, "") }},
		{"gs1 bad check digit", "gs1", func() (Label, error) { return ItemLabel(item, "(01)04006381333932") }},
		{"gs1 short gtin", "gs1", func() (Label, error) { return ItemLabel(item, "(01)0400638133393") }},
		{"gs1 no brackets", "gs1", func() (Label, error) { return ItemLabel(item, "0104006381333931") }},
		{"gs1 empty value", "gs1", func() (Label, error) { return ItemLabel(item, "(01)04006381333931(10)") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := tt.build()
			var fe *floorgate.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, label %+v; want a field error", err, l)
			}
			if fe.Field != tt.field {
				t.Errorf("field %q (%v), want %q", fe.Field, err, tt.field)
			}
			if len(l.Elements) != 0 {
				t.Errorf("refused but returned %d elements", len(l.Elements))
			}
		})
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":       "138****5678",
		"+86 138 1234 5678": "138****5678",
		"0571-88886666":     "057****6666",
	} {
		if got, err := MaskPhone("phone", in); err != nil || got != want {
			t.Errorf("MaskPhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestGS1ElementString(t *testing.T) {
	got, err := GS1ElementString("(01)04006381333931(10)L42(17)261231")
	if want := "0104006381333931" + "10L42\x1d" + "17261231"; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
	got, err = GS1ElementString("(01)04006381333931(17)261231(10)L42")
	if want := "0104006381333931" + "17261231" + "10L42"; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q (no GS at the end)", got, err, want)
	}
	// GS1's own rules apply: an expiry needs a GTIN with it.
	if _, err := GS1ElementString("(17)261231(10)L42"); err == nil {
		t.Fatal("(17) without (01) was accepted")
	}
}

// TestLocationXDimension checks that the printed narrow bar is the X-dimension asked.
func TestLocationXDimension(t *testing.T) {
	f := testFont(t)
	loc := floorgate.Location{Code: "B-07-01", Barcode: "B0701"}
	for _, tt := range []struct {
		xdim float64
		dpi  int
		by   int
	}{{0.125, 203, 1}, {0.25, 203, 2}, {0.375, 203, 3}, {0.5, 203, 4}, {0.25, 300, 3}, {1.0 / 3, 300, 4}} {
		t.Run(fmt.Sprintf("%g@%d", tt.xdim, tt.dpi), func(t *testing.T) {
			l, err := LocationLabel(loc, tt.xdim)
			if err != nil {
				t.Fatal(err)
			}
			z, err := Render(l, ZPL, Options{DPI: tt.dpi, Font: f})
			if err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`\^BY(\d+),`).FindSubmatch(z)
			if m == nil {
				t.Fatalf("no ^BY in\n%s", z)
			}
			if n, _ := strconv.Atoi(string(m[1])); n != tt.by {
				t.Errorf("^BY%d, want ^BY%d", n, tt.by)
			}
			dots, _ := DotsPerMM(tt.dpi)
			if got := float64(tt.by) / dots; got < tt.xdim-1e-9 || got > tt.xdim+1e-9 {
				t.Errorf("^BY%d is %g mm at %d dpi, want %g", tt.by, got, tt.dpi, tt.xdim)
			}
			img, err := Image(l, Options{DPI: tt.dpi, Font: f})
			if err != nil {
				t.Fatal(err)
			}
			got, narrow := decodeCode128(t, img)
			if got != loc.Barcode {
				t.Errorf("raster decodes to %q, want %q", got, loc.Barcode)
			}
			if narrow != tt.by {
				t.Errorf("narrowest bar is %d dots, want %d", narrow, tt.by)
			}
		})
	}
	l, _ := LocationLabel(loc, 1.0/3)
	if _, err := Render(l, ZPL, Options{DPI: 203, Font: f}); !errors.Is(err, ErrModule) {
		t.Errorf("1/3 mm at 203 dpi: got %v, want ErrModule", err)
	}
}

func TestZPLCode128(t *testing.T) {
	for _, tt := range []struct {
		in   string
		gs1  bool
		want string
	}{
		{"SF1234567890123", false, ">:SF>5123456789012>63"},
		{"A010203", false, ">:A>5010203"},
		{"0104006381333931" + "10L42\x1d" + "17261231", true, ">;>8010400638133393110>6L42>8>517261231"},
		{"a>b", false, ">:a><b"},
	} {
		if got := zplData(tt.in, tt.gs1); got != tt.want {
			t.Errorf("zplCode128(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWaybillTruncatesItems(t *testing.T) {
	s := shipment()
	for i := range 30 {
		s.Lines = append(s.Lines, floorgate.ShipmentLine{SKU: fmt.Sprintf("Z-%02d", i), Name: "补货", Qty: 1})
	}
	l, err := Waybill(s, "76x130")
	if err != nil {
		t.Fatal(err)
	}
	var more string
	for _, e := range l.Elements {
		if tx, ok := e.(Text); ok && strings.HasPrefix(tx.Text, "+") {
			more = tx.Text
		}
	}
	if !regexp.MustCompile(`^\+\d+ more$`).MatchString(more) {
		t.Errorf("no +N more line on a 76x130 waybill with %d lines", len(s.Lines))
	}
}
