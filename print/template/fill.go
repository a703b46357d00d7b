package template

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/print/label"
)

// qrModules are the QR cell sizes a template may take, largest first: whole
// dots at 203 and 300 dpi.
var qrModules = []float64{1, 0.75, 0.5, 0.25}

// checkPicture refuses a picture file that is not a PNG or whose shape
// differs from its box by more than 5%.
func checkPicture(b []byte, w, h float64) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("not a PNG: %v", err)
	}
	if cfg.Width == 0 || cfg.Height == 0 {
		return errors.New("an empty image")
	}
	if r := (float64(cfg.Width) / float64(cfg.Height)) / (w / h); r < 0.95 || r > 1.05 {
		return fmt.Errorf("%d×%d pixels is not the shape of its %g×%g mm box", cfg.Width, cfg.Height, w, h)
	}
	return nil
}

// Shipment fills a waybill or packing list template from s, in lang ("" is
// the template's first language), printed at at.
func (t *Template) Shipment(s floorgate.Shipment, lang string, at time.Time) (label.Label, error) {
	if t.Kind != KindWaybill && t.Kind != KindPackingList {
		return label.Label{}, fmt.Errorf("template %s: a %s is not filled from a shipment", t.ID, t.Kind)
	}
	l, _, err := t.fill(t.shipmentData(s, at), lang)
	return l, err
}

func (t *Template) shipmentData(s floorgate.Shipment, at time.Time) data {
	s.PrintData = nil
	d := dataOf(s)
	units := 0
	for _, ln := range s.Lines {
		units += ln.Qty
	}
	d["units"] = float64(units)
	d["line_count"] = float64(len(s.Lines))
	if !at.IsZero() {
		d["printed_at"] = at.Format("2006-01-02 15:04")
	}
	d["template"] = t.ID
	d["template_version"] = float64(t.Version)
	return d
}

// Location fills a location label template from loc, whose barcode is
// printed at exactly xMM.
func (t *Template) Location(loc floorgate.Location, xMM float64, lang string) (label.Label, error) {
	if t.Kind != KindLocation {
		return label.Label{}, fmt.Errorf("template %s: a %s is not filled from a location", t.ID, t.Kind)
	}
	l, _, err := t.fill(dataOf(locationData{Location: loc, XMM: xMM}), lang)
	return l, err
}

// Item fills an item label template from item and its GS1 element string in
// bracketed form.
func (t *Template) Item(item floorgate.Item, gs1 string, lang string) (label.Label, error) {
	if t.Kind != KindItem {
		return label.Label{}, fmt.Errorf("template %s: a %s is not filled from an item", t.ID, t.Kind)
	}
	name := item.NameZH
	if name == "" {
		name = item.Name
	}
	l, _, err := t.fill(dataOf(itemData{Item: item, GS1: gs1, DisplayName: name}), lang)
	return l, err
}

// Check refuses a shipment this waybill or packing list template could not
// print: a required field empty, a barcode that cannot carry its data or
// does not fit, text that does not fit its box at 203 or 300 dpi. The error
// is a *floorgate.FieldError naming the shipment's field, so the ERP hears
// it when the shipment arrives rather than the packer at the bench.
func (t *Template) Check(s floorgate.Shipment) error {
	if err := s.Validate(); err != nil {
		return err
	}
	d := t.shipmentData(s, time.Date(2006, 1, 2, 15, 4, 0, 0, time.UTC))
	for _, lang := range Languages {
		l, origin, err := t.fill(d, lang)
		if err != nil {
			return err
		}
		for _, dpi := range []int{203, 300} {
			if err := label.Check(l, label.Options{DPI: dpi}); err != nil {
				var ee *label.ElementError
				if errors.As(err, &ee) && ee.Index < len(origin) {
					return t.blame(origin[ee.Index], d, ee.Err)
				}
				return fmt.Errorf("template %s: %w", t.ID, err)
			}
		}
	}
	return nil
}

// blame turns a problem with element i into an error on the first field it
// binds.
func (t *Template) blame(i int, d data, err error) error {
	e := t.Elements[i]
	var fs []string
	for _, p := range e.text {
		fs = append(fs, p.fields()...)
	}
	fs = append(fs, e.data.fields()...)
	if errors.Is(err, label.ErrTextOverflow) {
		err = fmt.Errorf("does not fit its %g×%g mm box on the template %s", e.W, e.H, t.ID)
	} else {
		err = fmt.Errorf("%v (template %s)", err, t.ID)
	}
	if len(fs) == 0 {
		return fmt.Errorf("template %s: elements[%d]: %w", t.ID, i, err)
	}
	return floorgate.FieldErrorf(fs[0], "%v", err)
}

// fill lays the template out with d. origin maps each label element to the
// template element it came from.
func (t *Template) fill(d data, lang string) (label.Label, []int, error) {
	if lang == "" {
		lang = Languages[0]
	}
	for _, f := range t.Required {
		if strings.TrimSpace(d.lookup(f)) == "" {
			return label.Label{}, nil, floorgate.FieldErrorf(f, "missing (the %s template %s prints it)", t.Kind, t.ID)
		}
	}
	l := label.Label{Name: t.ID, WidthMM: t.w, HeightMM: t.h}
	var origin []int
	add := func(i int, e ...label.Element) {
		l.Elements = append(l.Elements, e...)
		for range e {
			origin = append(origin, i)
		}
	}
	for i := range t.Elements {
		e := &t.Elements[i]
		if e.When != "" && strings.TrimSpace(d.lookup(e.When)) == "" {
			continue
		}
		switch e.Type {
		case "text":
			s := localized(e.text, lang).fill(d, nil)
			if strings.TrimSpace(s) == "" {
				continue
			}
			add(i, label.Text{X: e.X, Y: e.Y, W: e.W, H: e.H, SizeMM: e.Size, Bold: e.Bold, Fit: e.Fit, Align: align(e.Align), Text: s})
		case "code128", "gs1_128":
			bc, err := e.barcode(d)
			if err != nil {
				return l, nil, err
			}
			add(i, bc)
		case "qr":
			v := e.data.fill(d, nil)
			if v == "" {
				return l, nil, t.missing(e)
			}
			n, err := label.QRWidth(v)
			if err != nil {
				return l, nil, floorgate.FieldErrorf(first(e.data.fields(), "data"), "cannot be a QR code: %v", err)
			}
			x := 0.0
			for _, m := range qrModules {
				if float64(n)*m <= e.Size+1e-9 {
					x = m
					break
				}
			}
			if x == 0 {
				return l, nil, floorgate.FieldErrorf(first(e.data.fields(), "data"), "too long for a %g mm QR code", e.Size)
			}
			side := float64(n) * x
			add(i, label.Barcode{X: place(e.X, max(e.W, e.Size), side, e.Align), Y: e.Y, ModuleMM: x, Kind: label.QR, Data: v})
		case "line":
			add(i, dashes(e)...)
		case "box":
			th := e.Thick
			if e.Fill {
				th = min(e.W, e.H)
			} else if th == 0 {
				th = 0.25
			}
			add(i, label.Box{X: e.X, Y: e.Y, W: e.W, H: e.H, ThickMM: th})
		case "picture":
			img, err := png.Decode(bytes.NewReader(t.pictures[e.File]))
			if err != nil {
				return l, nil, fmt.Errorf("template %s: %s: %w", t.ID, e.File, err)
			}
			add(i, label.Picture{X: e.X, Y: e.Y, W: e.W, H: e.H, Img: img})
		case "rows":
			add(i, e.rows(d, lang)...)
		}
	}
	return l, origin, nil
}

func localized(m map[string]pattern, lang string) pattern {
	if p, ok := m[lang]; ok {
		return p
	}
	if p, ok := m[""]; ok {
		return p
	}
	for _, g := range Languages {
		if p, ok := m[g]; ok {
			return p
		}
	}
	return nil
}

func first(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func (t *Template) missing(e *Element) error {
	return floorgate.FieldErrorf(first(e.data.fields(), "data"), "missing (the %s template %s prints it as a barcode)", t.Kind, t.ID)
}

func align(a string) label.Align {
	switch a {
	case "center":
		return label.AlignCenter
	case "right":
		return label.AlignRight
	}
	return label.AlignLeft
}

// place positions a symbol side wide in the span x..x+w.
func place(x, w, side float64, a string) float64 {
	switch a {
	case "center":
		return x + (w-side)/2
	case "right":
		return x + w - side
	}
	return x
}

// barcode lays out a Code 128 or GS1-128 element: the widest X-dimension
// the element allows at which it fits its box with its quiet zones.
func (e *Element) barcode(d data) (label.Barcode, error) {
	field := first(e.data.fields(), "data")
	v := e.data.fill(d, nil)
	if v == "" {
		return label.Barcode{}, floorgate.FieldErrorf(field, "missing (printed as a barcode)")
	}
	kind := label.Code128
	if e.Type == "gs1_128" {
		kind = label.GS1128
		es, err := label.GS1ElementString(v)
		if err != nil {
			return label.Barcode{}, floorgate.InField(field, err)
		}
		v = es
	}
	n, err := label.Code128Width(v, kind == label.GS1128)
	if err != nil {
		return label.Barcode{}, floorgate.FieldErrorf(field, "cannot be a Code 128: %v", err)
	}
	mods := e.Module
	if e.ModuleField != "" {
		// Exactly as given: the scan engine's distance check depends on
		// it. A resolution that cannot print it refuses it when rendering.
		x, _ := parseFloat(d.lookup(e.ModuleField))
		_, e8 := label.ModuleDots(x, 203)
		_, e12 := label.ModuleDots(x, 300)
		if x < 0.125 || x > 1 || (e8 != nil && e12 != nil) {
			return label.Barcode{}, floorgate.FieldErrorf(e.ModuleField, "%g mm is not a whole number of dots at 203 dpi (n×0.125 mm) or 300 dpi (n×1/12 mm) between 0.125 and 1 mm", x)
		}
		mods = []float64{x}
	}
	for _, x := range mods {
		w := float64(n) * x
		if w+2*label.QuietModules*x <= e.W+1e-9 {
			bx := place(e.X, e.W, w, e.Align)
			if e.Align == "" || e.Align == "left" {
				bx = e.X + label.QuietModules*x
			} else if e.Align == "right" {
				bx = e.X + e.W - w - label.QuietModules*x
			}
			return label.Barcode{X: bx, Y: e.Y, HeightMM: e.H, ModuleMM: x, Kind: kind, Data: v}, nil
		}
	}
	return label.Barcode{}, floorgate.FieldErrorf(field, "%q is too long for the %g mm wide barcode", v, e.W)
}

func parseFloat(s string) (float64, bool) {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return f, err == nil
}

// dashes is a line, or a dashed line as its dashes.
func dashes(e *Element) []label.Element {
	th := e.Thick
	if th == 0 {
		th = 0.25
	}
	if e.Dash == 0 {
		return []label.Element{label.Line{X1: e.X1, Y1: e.Y1, X2: e.X2, Y2: e.Y2, ThickMM: th}}
	}
	var out []label.Element
	length := math.Hypot(e.X2-e.X1, e.Y2-e.Y1)
	dx, dy := (e.X2-e.X1)/length, (e.Y2-e.Y1)/length
	for s := 0.0; s < length; s += 2 * e.Dash {
		end := min(s+e.Dash, length)
		out = append(out, label.Line{X1: e.X1 + dx*s, Y1: e.Y1 + dy*s, X2: e.X1 + dx*end, Y2: e.Y1 + dy*end, ThickMM: th})
	}
	return out
}

// rows lays out one row per entry of the element's list, keeping the last
// row for "+N more" when they do not all fit.
func (e *Element) rows(d data, lang string) []label.Element {
	entries := d.list(e.Rows)
	room := int(math.Floor(e.H/e.Row + 1e-9))
	shown := len(entries)
	if shown > room {
		shown = max(0, room-1)
	}
	var out []label.Element
	for i := 0; i < shown; i++ {
		y := e.Y + float64(i)*e.Row
		for _, c := range e.Columns {
			s := localized(c.text, lang).fill(d, entries[i])
			if strings.TrimSpace(s) == "" {
				continue
			}
			out = append(out, label.Text{X: e.X + c.DX, Y: y, W: c.W, H: e.Row, SizeMM: c.Size, Bold: c.Bold, Align: align(c.Align), Text: s})
		}
	}
	if shown < len(entries) && room > 0 {
		more := fmt.Sprintf("+%d", len(entries)-shown)
		if p := localized(e.more, lang); p != nil {
			more = p.fill(data{"more": float64(len(entries) - shown)}, nil)
		}
		size := e.Columns[0].Size
		out = append(out, label.Text{X: e.X, Y: e.Y + float64(shown)*e.Row, W: e.W, H: e.Row, SizeMM: size, Bold: true, Text: more})
	}
	return out
}

// FromJSON fills t from JSON data of its kind: a shipment (waybill,
// packing list), a location with the X-dimension x_mm, or an item with its
// bracketed GS1 string gs1. A shipment is checked as it would be when it
// arrives.
func (t *Template) FromJSON(raw []byte, lang string, at time.Time) (label.Label, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	switch t.Kind {
	case KindWaybill, KindPackingList:
		var s floorgate.Shipment
		if err := dec.Decode(&s); err != nil {
			return label.Label{}, fmt.Errorf("not a shipment: %w", err)
		}
		if err := t.Check(s); err != nil {
			return label.Label{}, err
		}
		return t.Shipment(s, lang, at)
	case KindLocation:
		var d locationData
		if err := dec.Decode(&d); err != nil {
			return label.Label{}, fmt.Errorf("not a location with x_mm: %w", err)
		}
		return t.Location(d.Location, d.XMM, lang)
	default:
		var d itemData
		if err := dec.Decode(&d); err != nil {
			return label.Label{}, fmt.Errorf("not an item with gs1: %w", err)
		}
		return t.Item(d.Item, d.GS1, lang)
	}
}
