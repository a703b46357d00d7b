package label

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/floorgate/floorgate"
)

// waybillSizes are the waybill stocks carriers use, width × height in mm.
var waybillSizes = map[string][2]float64{
	"100x180": {100, 180},
	"100x150": {100, 150},
	"76x130":  {76, 130},
}

// Linear barcodes on templates use X-dimensions that are whole dots at both
// 203 dpi (8 dots/mm) and 300 dpi (12 dots/mm): 0.25 mm and 0.5 mm.
var templateModules = []float64{0.5, 0.25}

// quietModules is the Code 128 quiet zone on each side, in modules.
const quietModules = 10

// code128Modules is the width of a Code 128 symbol in modules, quiet zones
// excluded: the wider of the raster encoding and the ZPL one, whose code
// set choices may differ.
func code128Modules(data string, gs1 bool) (int, error) {
	k := Code128
	if gs1 {
		k = GS1128
	}
	m, err := modules(Barcode{Kind: k, Data: data})
	if err != nil {
		return 0, err
	}
	_, zk := zplCode128(data, gs1)
	return max(len(m[0]), 11*(zk+2)+13), nil
}

// fitModule picks the widest template X-dimension at which a Code 128 of
// data with its quiet zones fits in widthMM.
func fitModule(field, data string, gs1 bool, widthMM float64) (float64, float64, error) {
	if err := checkCode128(data); err != nil {
		return 0, 0, floorgate.FieldErrorf(field, "cannot be a Code 128: %v", err)
	}
	n, err := code128Modules(data, gs1)
	if err != nil {
		return 0, 0, floorgate.FieldErrorf(field, "cannot be a Code 128: %v", err)
	}
	for _, x := range templateModules {
		if w := float64(n) * x; w+2*quietModules*x <= widthMM {
			return x, w, nil
		}
	}
	return 0, 0, floorgate.FieldErrorf(field, "%q is too long for a %g mm wide barcode", data, widthMM)
}

// fitQR picks the largest QR module (whole dots at 203 and 300 dpi) at
// which a QR code of data is at most sideMM wide, and its width.
func fitQR(data string, sideMM float64) (float64, float64, error) {
	m, err := modules(Barcode{Kind: QR, Data: data})
	if err != nil {
		return 0, 0, floorgate.FieldErrorf("tracking", "cannot be a QR code: %v", err)
	}
	n := float64(len(m))
	for _, x := range []float64{1, 0.75, 0.5, 0.25} {
		if n*x <= sideMM {
			return x, n * x, nil
		}
	}
	return 0, 0, floorgate.FieldErrorf("tracking", "too long for the QR code")
}

// fitsBox refuses text that cannot fit a w×h mm box even at the smallest
// size a Fit text shrinks to (60%), counting every character as a full CJK
// em; the renderer makes the exact check.
func fitsBox(field, text string, w, h, sizeMM float64) error {
	smallest := sizeMM * 0.6
	perLine := int(w / smallest)
	lines := int(h / (smallest * 1.2))
	if n := len([]rune(text)); n > perLine*lines {
		return floorgate.FieldErrorf(field, "%d characters do not fit the label (at most %d)", n, perLine*lines)
	}
	return nil
}

// MaskPhone masks a phone number as carriers print it: the first 3 and the
// last 4 digits stay, the rest become four asterisks (138****5678). A +86
// country prefix is dropped.
func MaskPhone(field, phone string) (string, error) {
	var d []byte
	for i := 0; i < len(phone); i++ {
		switch c := phone[i]; {
		case c >= '0' && c <= '9':
			d = append(d, c)
		case c == ' ' || c == '-' || c == '+' || c == '(' || c == ')':
		default:
			return "", floorgate.FieldErrorf(field, "%q is not a phone number", phone)
		}
	}
	if len(d) == 13 && string(d[:2]) == "86" {
		d = d[2:]
	}
	if len(d) < 8 || len(d) > 15 {
		return "", floorgate.FieldErrorf(field, "%q has %d digits, want 8 to 15", phone, len(d))
	}
	return string(d[:3]) + "****" + string(d[len(d)-4:]), nil
}

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return floorgate.FieldErrorf(field, "missing")
	}
	return nil
}

// Waybill lays out a carrier waybill for s on size "100x180", "100x150" or
// "76x130": carrier, tracking number as a large Code 128 and as text,
// recipient with masked phone and full address, sender, item lines and a QR
// code of the tracking number.
func Waybill(s floorgate.Shipment, size string) (Label, error) {
	sz, ok := waybillSizes[size]
	if !ok {
		return Label{}, floorgate.FieldErrorf("size", "%q is not one of 100x180, 100x150, 76x130", size)
	}
	if err := s.Validate(); err != nil {
		return Label{}, err
	}
	for _, f := range [][2]string{{"sender.name", s.Sender.Name}, {"sender.address", s.Sender.Address}} {
		if err := required(f[0], f[1]); err != nil {
			return Label{}, err
		}
	}
	rphone, err := MaskPhone("recipient.phone", s.Recipient.Phone)
	if err != nil {
		return Label{}, err
	}
	sphone := ""
	if s.Sender.Phone != "" {
		if sphone, err = MaskPhone("sender.phone", s.Sender.Phone); err != nil {
			return Label{}, err
		}
	}
	W, H := sz[0], sz[1]
	const m = 3.0
	inner := W - 2*m
	x, bw, err := fitModule("tracking", s.Tracking, false, inner)
	if err != nil {
		return Label{}, err
	}
	k := H / 150 // vertical scale: 1 on 100x150
	l := Label{Name: "waybill " + size, WidthMM: W, HeightMM: H}
	add := func(e ...Element) { l.Elements = append(l.Elements, e...) }
	y := m
	add(Box{X: 1, Y: 1, W: W - 2, H: H - 2, ThickMM: 0.375},
		Text{X: m, Y: y, W: inner * 0.6, H: 7, SizeMM: 6, Bold: true, Fit: true, Text: s.Carrier},
		Text{X: m + inner*0.6, Y: y + 1.5, W: inner * 0.4, H: 4, SizeMM: 3, Align: AlignRight, Text: s.Order})
	y += 8
	add(Line{X1: 1, Y1: y, X2: W - 1, Y2: y, ThickMM: 0.25})
	y += 2
	bh := math.Round(15 * k)
	add(Barcode{X: (W - bw) / 2, Y: y, HeightMM: bh, ModuleMM: x, Kind: Code128, Data: s.Tracking})
	y += bh + 1
	add(Text{X: m, Y: y, W: inner, H: 5, SizeMM: 4, Bold: true, Align: AlignCenter, Text: s.Tracking})
	y += 6
	add(Line{X1: 1, Y1: y, X2: W - 1, Y2: y, ThickMM: 0.25})
	y += 1.5
	add(Text{X: m, Y: y, W: inner, H: 6, SizeMM: 4.5, Bold: true, Fit: true, Text: "收 " + s.Recipient.Name + "  " + rphone})
	y += 6
	ah := math.Round(15 * k)
	if err := fitsBox("recipient.address", s.Recipient.Address, inner, ah, 3.8); err != nil {
		return Label{}, err
	}
	add(Text{X: m, Y: y, W: inner, H: ah, SizeMM: 3.8, Fit: true, Text: s.Recipient.Address})
	y += ah + 1
	add(Line{X1: 1, Y1: y, X2: W - 1, Y2: y, ThickMM: 0.25})
	y += 1.5
	add(Text{X: m, Y: y, W: inner, H: 4, SizeMM: 3, Fit: true, Text: strings.TrimSpace("寄 " + s.Sender.Name + "  " + sphone)})
	y += 4
	if err := fitsBox("sender.address", s.Sender.Address, inner, 7.5, 2.8); err != nil {
		return Label{}, err
	}
	add(Text{X: m, Y: y, W: inner, H: 7.5, SizeMM: 2.8, Fit: true, Text: s.Sender.Address})
	y += 8
	add(Line{X1: 1, Y1: y, X2: W - 1, Y2: y, ThickMM: 0.25})
	y += 1.5
	// Items on the left, the QR code of the tracking number on the right.
	qrMod, qrW, err := fitQR(s.Tracking, 24*k)
	if err != nil {
		return Label{}, err
	}
	add(Barcode{X: W - m - qrW, Y: y, ModuleMM: qrMod, Kind: QR, Data: s.Tracking})
	itemsW := inner - qrW - 2
	const lineH, itemSize = 3.6, 2.8
	room := int((H - m - y) / lineH)
	add(itemLines(s.Lines, m, y, itemsW, lineH, itemSize, room)...)
	return l, nil
}

// itemLines lists lines as "sku name ×qty", one per row, keeping the last
// row for "+N more" when they do not all fit.
func itemLines(lines []floorgate.ShipmentLine, x, y, w, lh, size float64, room int) []Element {
	var out []Element
	shown := len(lines)
	if shown > room {
		shown = max(0, room-1)
	}
	for i := 0; i < shown; i++ {
		ln := lines[i]
		out = append(out, Text{X: x, Y: y + float64(i)*lh, W: w, H: lh, SizeMM: size,
			Text: strings.TrimSpace(ln.SKU+" "+ln.Name) + " ×" + strconv.Itoa(ln.Qty)})
	}
	if shown < len(lines) && room > 0 {
		out = append(out, Text{X: x, Y: y + float64(shown)*lh, W: w, H: lh, SizeMM: size, Bold: true,
			Text: fmt.Sprintf("+%d more", len(lines)-shown)})
	}
	return out
}

// PackingList lays out a 100×150 mm packing list for s: order, tracking
// number as Code 128, recipient and every item line with its quantity.
func PackingList(s floorgate.Shipment) (Label, error) {
	if err := s.Validate(); err != nil {
		return Label{}, err
	}
	if len(s.Lines) == 0 {
		return Label{}, floorgate.FieldErrorf("lines", "missing")
	}
	const W, H, m = 100.0, 150.0, 4.0
	inner := W - 2*m
	x, bw, err := fitModule("tracking", s.Tracking, false, inner)
	if err != nil {
		return Label{}, err
	}
	l := Label{Name: "packing list", WidthMM: W, HeightMM: H}
	add := func(e ...Element) { l.Elements = append(l.Elements, e...) }
	total := 0
	for _, ln := range s.Lines {
		total += ln.Qty
	}
	add(Text{X: m, Y: m, W: inner, H: 7, SizeMM: 5.5, Bold: true, Text: "装箱单 Packing list"},
		Text{X: m, Y: 12, W: inner, H: 5, SizeMM: 3.5, Text: "Order " + s.Order},
		Barcode{X: (W - bw) / 2, Y: 18, HeightMM: 10, ModuleMM: x, Kind: Code128, Data: s.Tracking},
		Text{X: m, Y: 29, W: inner, H: 5, SizeMM: 3.5, Align: AlignCenter, Text: s.Carrier + " " + s.Tracking},
		Text{X: m, Y: 35, W: inner, H: 5, SizeMM: 3.5, Text: "收 " + s.Recipient.Name},
		Line{X1: m, Y1: 41, X2: W - m, Y2: 41, ThickMM: 0.25},
		Text{X: m, Y: 42, W: inner - 15, H: 4.5, SizeMM: 3.2, Bold: true, Text: "SKU / 品名"},
		Text{X: W - m - 15, Y: 42, W: 15, H: 4.5, SizeMM: 3.2, Bold: true, Align: AlignRight, Text: "Qty"},
		Line{X1: m, Y1: 47, X2: W - m, Y2: 47, ThickMM: 0.25})
	const lh, top = 4.5, 48.0
	room := int((H - m - 8 - top) / lh)
	shown := min(len(s.Lines), room)
	if shown < len(s.Lines) {
		shown = room - 1
	}
	for i := 0; i < shown; i++ {
		ln, y := s.Lines[i], top+float64(i)*lh
		add(Text{X: m, Y: y, W: inner - 15, H: lh, SizeMM: 3.2, Text: strings.TrimSpace(ln.SKU + " " + ln.Name)},
			Text{X: W - m - 15, Y: y, W: 15, H: lh, SizeMM: 3.2, Align: AlignRight, Text: strconv.Itoa(ln.Qty)})
	}
	if shown < len(s.Lines) {
		add(Text{X: m, Y: top + float64(shown)*lh, W: inner, H: lh, SizeMM: 3.2, Bold: true,
			Text: fmt.Sprintf("+%d more", len(s.Lines)-shown)})
	}
	add(Line{X1: m, Y1: H - m - 7, X2: W - m, Y2: H - m - 7, ThickMM: 0.25},
		Text{X: m, Y: H - m - 6, W: inner, H: 5, SizeMM: 3.5, Bold: true, Align: AlignRight,
			Text: fmt.Sprintf("%d lines, %d units", len(s.Lines), total)})
	return l, nil
}

// LocationLabel lays out a bin label: a Code 128 of loc.Barcode at exactly
// the X-dimension xdimMM and the location code in large text. Printers
// print whole dots — ZPL ^BY n at 203 dpi (8 dots/mm) is n × 0.125 mm, at
// 300 dpi (12 dots/mm) n × 1/12 mm — so xdimMM must be a whole number of
// dots at 203 or 300 dpi (0.25 mm is both); Render refuses it at a
// resolution that cannot print it exactly. Record xdimMM as the location's
// LabelXMM: the scan engine's distance check depends on it.
func LocationLabel(loc floorgate.Location, xdimMM float64) (Label, error) {
	if err := required("code", loc.Code); err != nil {
		return Label{}, err
	}
	if err := required("barcode", loc.Barcode); err != nil {
		return Label{}, err
	}
	if err := checkCode128(loc.Barcode); err != nil {
		return Label{}, floorgate.FieldErrorf("barcode", "cannot be a Code 128: %v", err)
	}
	_, e8 := ModuleDots(xdimMM, 203)
	_, e12 := ModuleDots(xdimMM, 300)
	if xdimMM < 0.125 || xdimMM > 1 || (e8 != nil && e12 != nil) {
		return Label{}, floorgate.FieldErrorf("xdim", "%g mm is not a whole number of dots at 203 dpi (n×0.125 mm) or 300 dpi (n×1/12 mm) between 0.125 and 1 mm", xdimMM)
	}
	n, err := code128Modules(loc.Barcode, false)
	if err != nil {
		return Label{}, floorgate.FieldErrorf("barcode", "cannot be a Code 128: %v", err)
	}
	bw := float64(n) * xdimMM
	const m = 3.0
	W := math.Ceil(max(60, bw+2*quietModules*xdimMM+2*m))
	l := Label{Name: "location " + loc.Code, WidthMM: W, HeightMM: 35, Elements: []Element{
		Barcode{X: (W - bw) / 2, Y: m, HeightMM: 15, ModuleMM: xdimMM, Kind: Code128, Data: loc.Barcode},
		Text{X: m, Y: 20, W: W - 2*m, H: 12, SizeMM: 10, Bold: true, Align: AlignCenter, Text: loc.Code},
	}}
	return l, nil
}

// ItemLabel lays out an item label with a GS1-128 of gs1, given in the
// bracketed form "(01)04006381333931(10)L42(17)261231", and the item's SKU
// and name (the Chinese name when it has one).
func ItemLabel(item floorgate.Item, gs1 string) (Label, error) {
	if err := required("sku", item.SKU); err != nil {
		return Label{}, err
	}
	name := item.NameZH
	if name == "" {
		name = item.Name
	}
	if err := required("name", name); err != nil {
		return Label{}, err
	}
	data, err := GS1ElementString(gs1)
	if err != nil {
		return Label{}, floorgate.InField("gs1", err)
	}
	const m = 3.0
	x, bw, err := fitModule("gs1", data, true, 100-2*m)
	if err != nil {
		return Label{}, err
	}
	W := math.Ceil(max(60, bw+2*quietModules*x+2*m))
	return Label{Name: "item " + item.SKU, WidthMM: W, HeightMM: 40, Elements: []Element{
		Text{X: m, Y: 2, W: W - 2*m, H: 5, SizeMM: 4, Bold: true, Text: item.SKU},
		Text{X: m, Y: 7, W: W - 2*m, H: 5, SizeMM: 3.5, Text: name},
		Barcode{X: (W - bw) / 2, Y: 13, HeightMM: 18, ModuleMM: x, Kind: GS1128, Data: data},
		Text{X: m, Y: 32, W: W - 2*m, H: 5, SizeMM: 3, Align: AlignCenter, Text: gs1},
	}}, nil
}
