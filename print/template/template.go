package template

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/floorgate/floorgate"
)

// The kinds of template, by the data they are filled from.
const (
	KindWaybill     = "waybill"      // a shipment
	KindPackingList = "packing_list" // a shipment
	KindLocation    = "location"     // a location and its X-dimension
	KindItem        = "item"         // an item and its GS1 element string
)

// Languages a template may print in; the first is the default.
var Languages = []string{"zh", "en"}

// Template is one label layout, as loaded from its file.
type Template struct {
	ID      string `yaml:"id"`
	Version int    `yaml:"version"`
	Title   string `yaml:"title"`
	Kind    string `yaml:"kind"`
	// Carriers a waybill template is for ("*": any carrier).
	Carriers []string `yaml:"carriers"`
	// Variant is the order variant a waybill template is for: normal, or
	// crossborder (the customs layout).
	Variant floorgate.OrderVariant `yaml:"variant"`
	// Media is the label stock, "WIDTHxHEIGHT" in millimetres.
	Media string `yaml:"media"`
	// Required are the data fields that must not be empty: a shipment
	// without one is refused when it arrives, naming the field.
	Required []string  `yaml:"required"`
	Elements []Element `yaml:"elements"`

	// File is where the template came from: "shipped:NAME" or a file of a
	// site's directory; Shipped is set for floorgate's own.
	File    string `yaml:"-"`
	Shipped bool   `yaml:"-"`

	w, h     float64
	pictures map[string][]byte // picture files by name, as read at load
}

// Element is one thing a template draws. Type says which, and which of the
// other fields apply:
//
//	text     x y w h size [bold] [fit] [align] text
//	code128  x y w h data [module] [align]   (Code 128; h is the bar height)
//	gs1_128  x y w h data [module] [align]   (data: a bracketed GS1 string)
//	qr       x y size data [align w]         (size: the largest side, mm)
//	line     x1 y1 x2 y2 [thick] [dash]
//	box      x y w h [thick] [fill]
//	picture  x y w h file
//	rows     x y w h rows row columns [more]  (one row per list entry)
//
// Any element may have when: a field; it is drawn only when that field is
// not empty.
type Element struct {
	Type string  `yaml:"type"`
	X    float64 `yaml:"x"`
	Y    float64 `yaml:"y"`
	W    float64 `yaml:"w"`
	H    float64 `yaml:"h"`
	X1   float64 `yaml:"x1"`
	Y1   float64 `yaml:"y1"`
	X2   float64 `yaml:"x2"`
	Y2   float64 `yaml:"y2"`
	// Thick is a line's or box border's width (mm); Dash a dashed line's
	// dash length.
	Thick float64 `yaml:"thick"`
	Dash  float64 `yaml:"dash"`
	Fill  bool    `yaml:"fill"`
	// Size is the font size (em, mm) of text, or a QR code's largest side.
	Size  float64 `yaml:"size"`
	Bold  bool    `yaml:"bold"`
	Fit   bool    `yaml:"fit"`
	Align string  `yaml:"align"`
	// Text is text with {field|filter} placeholders, in every language or
	// per language.
	Text Localized `yaml:"text"`
	// Data is a barcode's data, with placeholders.
	Data string `yaml:"data"`
	// Module lists the X-dimensions (mm) a barcode may use, widest first:
	// the widest that fits w is taken. ModuleField takes it from the data
	// instead (a location label's x_mm), exactly.
	Module      []float64 `yaml:"module"`
	ModuleField string    `yaml:"module_field"`
	File        string    `yaml:"file"`
	When        string    `yaml:"when"`
	// Rows names the list a rows element repeats over; Row is a row's
	// height and Columns its cells.
	Rows    string    `yaml:"rows"`
	Row     float64   `yaml:"row"`
	Columns []Column  `yaml:"columns"`
	More    Localized `yaml:"more"`

	line int // in its file
	text map[string]pattern
	data pattern
	more map[string]pattern
}

// Column is one cell of a row: at DX from the element's x, W wide.
type Column struct {
	DX    float64   `yaml:"dx"`
	W     float64   `yaml:"w"`
	Size  float64   `yaml:"size"`
	Bold  bool      `yaml:"bold"`
	Align string    `yaml:"align"`
	Text  Localized `yaml:"text"`

	text map[string]pattern
}

// Localized is text in each language: a plain string is every language's.
type Localized map[string]string

// UnmarshalYAML takes a string or a map of language to string.
func (l *Localized) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = Localized{"": n.Value}
		return nil
	}
	m := map[string]string{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k := range m {
		if !slices.Contains(Languages, k) {
			return fmt.Errorf("line %d: language %q is not one of %s", n.Line, k, strings.Join(Languages, ", "))
		}
	}
	*l = m
	return nil
}

// Size is the template's media in millimetres.
func (t *Template) Size() (w, h float64) { return t.w, t.h }

// ForCarrier reports whether a waybill template is for carrier.
func (t *Template) ForCarrier(carrier string) bool {
	for _, c := range t.Carriers {
		if c == "*" || strings.EqualFold(c, carrier) {
			return true
		}
	}
	return false
}

// Parse reads one template file. name is the file's name, for errors;
// pictures reads a picture file the template names. The template is
// checked whole: every field it binds must exist in its kind's data, every
// filter be known, every element lie on the label.
func Parse(name string, raw []byte, pictures func(string) ([]byte, error)) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	t := new(Template)
	if err := dec.Decode(t); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	// Element line numbers, for errors.
	if len(doc.Content) == 1 {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "elements" {
				for j, e := range m.Content[i+1].Content {
					if j < len(t.Elements) {
						t.Elements[j].line = e.Line
					}
				}
			}
		}
	}
	t.File = name
	if err := t.check(pictures); err != nil {
		var fe *floorgate.FieldError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

var aligns = []string{"", "left", "center", "right"}

func (t *Template) check(pictures func(string) ([]byte, error)) error {
	switch {
	case t.ID == "" || strings.ContainsAny(t.ID, " /\\"):
		return floorgate.FieldErrorf("id", "%q: a template's id is a word with no spaces or slashes", t.ID)
	case t.Version < 1:
		return floorgate.FieldErrorf("version", "missing: a template is versioned (1, 2, …), printed labels record it")
	case strings.TrimSpace(t.Title) == "":
		return floorgate.FieldErrorf("title", "missing")
	}
	fields, ok := kindFields[t.Kind]
	if !ok {
		return floorgate.FieldErrorf("kind", "%q is not one of waybill, packing_list, location, item", t.Kind)
	}
	w, h, ok := floorgate.MediaMM(t.Media)
	if !ok {
		return floorgate.FieldErrorf("media", "%q is not a label size like 100x180 (millimetres)", t.Media)
	}
	t.w, t.h = w, h
	switch {
	case t.Kind == KindWaybill && len(t.Carriers) == 0:
		return floorgate.FieldErrorf("carriers", "missing: the carriers this waybill is for, or [\"*\"] for any")
	case t.Kind != KindWaybill && len(t.Carriers) > 0:
		return floorgate.FieldErrorf("carriers", "only a waybill is chosen by carrier")
	}
	switch t.Variant {
	case "", floorgate.VariantNormal, floorgate.VariantCrossBorder:
	default:
		return floorgate.FieldErrorf("variant", "%q is not one of normal, crossborder", t.Variant)
	}
	for i, f := range t.Required {
		if !fields.has(f) {
			return floorgate.FieldErrorf(fmt.Sprintf("required[%d]", i), "%q is not a field of a %s's data (%s)", f, t.Kind, fields.list())
		}
	}
	if len(t.Elements) == 0 {
		return floorgate.FieldErrorf("elements", "missing")
	}
	t.pictures = map[string][]byte{}
	for i := range t.Elements {
		e := &t.Elements[i]
		if err := e.check(t, fields, pictures); err != nil {
			return floorgate.InField(fmt.Sprintf("elements[%d] (line %d)", i, e.line), err)
		}
	}
	return nil
}

func (e *Element) check(t *Template, fields fieldSet, pictures func(string) ([]byte, error)) error {
	if e.When != "" && !fields.has(e.When) {
		return floorgate.FieldErrorf("when", "%q is not a field of a %s's data", e.When, t.Kind)
	}
	if !slices.Contains(aligns, e.Align) {
		return floorgate.FieldErrorf("align", "%q is not one of left, center, right", e.Align)
	}
	inside := func(x, y, w, h float64) error {
		if x < 0 || y < 0 || w < 0 || h < 0 || x+w > t.w+1e-9 || y+h > t.h+1e-9 {
			return floorgate.FieldErrorf("x", "the element (%g,%g %g×%g mm) is not inside the %s mm label", x, y, w, h, t.Media)
		}
		return nil
	}
	box := func() error {
		if e.W <= 0 || e.H <= 0 {
			return floorgate.FieldErrorf("w", "w and h must be more than 0")
		}
		return inside(e.X, e.Y, e.W, e.H)
	}
	var err error
	switch e.Type {
	case "text":
		if err := box(); err != nil {
			return err
		}
		if e.Size <= 0 || e.Size > e.H+1e-9 {
			return floorgate.FieldErrorf("size", "%g mm: a font size is more than 0 and at most the box's height (%g mm)", e.Size, e.H)
		}
		if e.text, err = compileLocalized("text", e.Text, fields, nil); err != nil {
			return err
		}
	case "code128", "gs1_128":
		if err := box(); err != nil {
			return err
		}
		if e.data, err = compile("data", e.Data, fields, nil); err != nil {
			return err
		}
		if err := e.checkModule(fields); err != nil {
			return err
		}
	case "qr":
		if e.Size <= 0 {
			return floorgate.FieldErrorf("size", "missing: a QR code's largest side in mm")
		}
		if err := inside(e.X, e.Y, max(e.Size, e.W), e.Size); err != nil {
			return err
		}
		if e.data, err = compile("data", e.Data, fields, nil); err != nil {
			return err
		}
	case "line":
		if e.X1 != e.X2 && e.Y1 != e.Y2 {
			return floorgate.FieldErrorf("x2", "a line is horizontal or vertical")
		}
		if err := inside(min(e.X1, e.X2), min(e.Y1, e.Y2), abs(e.X2-e.X1), abs(e.Y2-e.Y1)); err != nil {
			return err
		}
		if e.Thick < 0 || e.Dash < 0 {
			return floorgate.FieldErrorf("thick", "thick and dash are not negative")
		}
	case "box":
		if err := box(); err != nil {
			return err
		}
	case "picture":
		if err := box(); err != nil {
			return err
		}
		if e.File == "" || strings.Contains(e.File, "..") || strings.HasPrefix(e.File, "/") {
			return floorgate.FieldErrorf("file", "%q: a PNG file beside the template", e.File)
		}
		if pictures == nil {
			return floorgate.FieldErrorf("file", "%q: pictures cannot be read here", e.File)
		}
		b, err := pictures(e.File)
		if err != nil {
			return floorgate.FieldErrorf("file", "%v", err)
		}
		if err := checkPicture(b, e.W, e.H); err != nil {
			return floorgate.FieldErrorf("file", "%s: %v", e.File, err)
		}
		t.pictures[e.File] = b
	case "rows":
		if err := box(); err != nil {
			return err
		}
		rf, ok := fields.rows[e.Rows]
		if !ok {
			return floorgate.FieldErrorf("rows", "%q is not one of the lists of a %s's data (%s)", e.Rows, t.Kind, strings.Join(fields.rowLists(), ", "))
		}
		if e.Row <= 0 || e.Row > e.H {
			return floorgate.FieldErrorf("row", "%g mm: a row's height is more than 0 and at most h", e.Row)
		}
		if len(e.Columns) == 0 {
			return floorgate.FieldErrorf("columns", "missing")
		}
		for i := range e.Columns {
			c := &e.Columns[i]
			f := fmt.Sprintf("columns[%d]", i)
			switch {
			case c.W <= 0 || c.DX < 0 || c.DX+c.W > e.W+1e-9:
				return floorgate.FieldErrorf(f+".w", "the cell (dx %g, w %g) is not inside the element's %g mm", c.DX, c.W, e.W)
			case c.Size <= 0 || c.Size > e.Row+1e-9:
				return floorgate.FieldErrorf(f+".size", "%g mm: more than 0 and at most the row's height", c.Size)
			case !slices.Contains(aligns, c.Align):
				return floorgate.FieldErrorf(f+".align", "%q is not one of left, center, right", c.Align)
			}
			if c.text, err = compileLocalized(f+".text", c.Text, fields, rf); err != nil {
				return err
			}
		}
		if e.more, err = compileLocalized("more", e.More, fields, moreFields); err != nil {
			return err
		}
	case "":
		return floorgate.FieldErrorf("type", "missing")
	default:
		return floorgate.FieldErrorf("type", "%q is not one of text, code128, gs1_128, qr, line, box, picture, rows", e.Type)
	}
	return nil
}

func (e *Element) checkModule(fields fieldSet) error {
	if e.ModuleField != "" {
		if len(e.Module) > 0 {
			return floorgate.FieldErrorf("module", "module and module_field exclude each other")
		}
		if !fields.has(e.ModuleField) {
			return floorgate.FieldErrorf("module_field", "%q is not a field of the data", e.ModuleField)
		}
		return nil
	}
	if len(e.Module) == 0 {
		e.Module = []float64{0.5, 0.25}
	}
	for i, m := range e.Module {
		if !wholeDots(m) {
			return floorgate.FieldErrorf(fmt.Sprintf("module[%d]", i), "%g mm is not a whole number of dots at both 203 dpi (n×0.125 mm) and 300 dpi (n×1/12 mm): use a multiple of 0.25 mm", m)
		}
	}
	return nil
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func compileLocalized(field string, l Localized, fields fieldSet, row map[string]bool) (map[string]pattern, error) {
	out := map[string]pattern{}
	for lang, s := range l {
		p, err := compile(field, s, fields, row)
		if err != nil {
			return nil, err
		}
		out[lang] = p
	}
	return out, nil
}
