package template

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/floorgate/floorgate"
)

// fieldSet is what a kind of template may bind: scalar fields by dotted
// path, and the lists a rows element repeats over with their entries'
// fields.
type fieldSet struct {
	scalar map[string]bool
	rows   map[string]map[string]bool
}

func (f fieldSet) has(path string) bool { return f.scalar[path] }

func (f fieldSet) list() string {
	var out []string
	for k := range f.scalar {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func (f fieldSet) rowLists() []string {
	var out []string
	for k := range f.rows {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// moreFields are what a rows element's "more" line may say.
var moreFields = map[string]bool{"more": true}

// Fields derived from the data, for every shipment template: the totals,
// the print time, and each row's number.
var (
	shipmentExtras = []string{"units", "line_count", "printed_at", "template", "template_version"}
	rowExtras      = []string{"no"}
)

// kindFields are the fields of each kind's data, found by walking a fully
// populated value of it as JSON: the contract's own names.
var kindFields = map[string]fieldSet{
	KindWaybill:     shipmentFields(),
	KindPackingList: shipmentFields(),
	KindLocation:    fieldsOf(locationData{XMM: 1, Location: floorgate.Location{Code: "x", Zone: "x", Barcode: "x", WalkSeq: 1}}, nil),
	KindItem:        fieldsOf(itemData{GS1: "x", DisplayName: "x", Item: floorgate.Item{SKU: "x", Name: "x", NameZH: "x"}}, nil),
}

// locationData is a location label's data.
type locationData struct {
	floorgate.Location
	XMM float64 `json:"x_mm"`
}

// itemData is an item label's data.
type itemData struct {
	floorgate.Item
	GS1 string `json:"gs1"`
	// DisplayName is the Chinese name when the item has one, else its name.
	DisplayName string `json:"display_name"`
}

func shipmentFields() fieldSet {
	m := floorgate.Money{Amount: "1", Currency: "x"}
	s := floorgate.Shipment{Order: "x", Carrier: "x", Service: "x", Tracking: "x", SortCode: "x", CollectionPoint: "x",
		Variant: "x", Recipient: floorgate.Party{Name: "x", Phone: "x", Address: "x"}, Sender: floorgate.Party{Name: "x", Phone: "x", Address: "x"},
		WeightG: 1, COD: &m, FragileMaterial: "x",
		Lines:        []floorgate.ShipmentLine{{SKU: "x", Name: "x", Qty: 1, Fragile: true}},
		Extras:       []floorgate.PackExtra{{Kind: "x", SKU: "x", Barcode: "x", Name: "x", Qty: 1}},
		Instructions: []floorgate.PackInstruction{{Line: 1, Text: "x"}},
		Customs: &floorgate.Customs{Currency: "x", DeclaredValue: "x", Contents: "x", HSCode: "x", Origin: "x",
			Items: []floorgate.CustomsItem{{SKU: "x", Description: "x", HSCode: "x", Qty: 1, Value: "x", Origin: "x", WeightG: 1}}},
	}
	return fieldsOf(s, shipmentExtras)
}

// fieldsOf lists v's JSON fields: scalars by dotted path, lists of objects
// as rows. print_data is never printed.
func fieldsOf(v any, extra []string) fieldSet {
	raw, _ := json.Marshal(v)
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	fs := fieldSet{scalar: map[string]bool{}, rows: map[string]map[string]bool{}}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			p := prefix + k
			if p == "print_data" {
				continue
			}
			switch v := v.(type) {
			case map[string]any:
				walk(p+".", v)
			case []any:
				row := map[string]bool{}
				if len(v) > 0 {
					if o, ok := v[0].(map[string]any); ok {
						for rk := range o {
							row[rk] = true
						}
					}
				}
				for _, e := range rowExtras {
					row[e] = true
				}
				fs.rows[p] = row
			default:
				fs.scalar[p] = true
			}
		}
	}
	walk("", doc)
	for _, e := range extra {
		fs.scalar[e] = true
	}
	return fs
}

// data is a template's data: the JSON form of the shipment, location or
// item, with the derived fields added.
type data map[string]any

func dataOf(v any) data {
	raw, _ := json.Marshal(v)
	var d map[string]any
	json.Unmarshal(raw, &d)
	return d
}

// lookup finds a dotted path: "" when it is absent.
func (d data) lookup(path string) string {
	var cur any = map[string]any(d)
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	return scalar(cur)
}

func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return ""
	case float64:
		if v == math.Trunc(v) {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// list is the entries of a list field.
func (d data) list(path string) []data {
	var cur any = map[string]any(d)
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	l, _ := cur.([]any)
	out := make([]data, 0, len(l))
	for i, e := range l {
		m, _ := e.(map[string]any)
		r := data{"no": float64(i + 1)}
		for k, v := range m {
			r[k] = v
		}
		out = append(out, r)
	}
	return out
}

// A pattern is text with {field|filter|filter:arg} placeholders; {{ and }}
// are literal braces.
type pattern []segment

type segment struct {
	lit     string
	field   string // "" for a literal
	filters []filterCall
}

type filterCall struct {
	name string
	arg  string
}

// filters format a field's value.
var filters = map[string]func(v, arg string) string{
	// mask_name keeps a name's first character: 王小明 → 王**.
	"mask_name": func(v, _ string) string {
		if v == "" {
			return ""
		}
		r, n := utf8.DecodeRuneInString(v)
		return string(r) + strings.Repeat("*", utf8.RuneCountInString(v[n:]))
	},
	// mask_phone keeps the first 3 and last 4 digits: 138****5678.
	"mask_phone": func(v, _ string) string { return MaskPhone(v) },
	"upper":      func(v, _ string) string { return strings.ToUpper(v) },
	// kg writes grams as kilograms: 1250 → 1.25.
	"kg": func(v, _ string) string {
		g, err := strconv.Atoi(v)
		if err != nil || v == "" {
			return v
		}
		return strconv.FormatFloat(float64(g)/1000, 'f', -1, 64)
	},
	// default is arg when the value is empty.
	"default": func(v, arg string) string {
		if v == "" {
			return arg
		}
		return v
	},
	// yes is arg when the value is set (a true flag), else empty.
	"yes": func(v, arg string) string {
		if v == "" {
			return ""
		}
		return arg
	},
	// carrier_name spells a carrier's code as its customers know it:
	// ZTO → 中通快递. A name, or a code it does not know, stays.
	"carrier_name": func(v, _ string) string {
		if n, ok := carrierNames[strings.ToUpper(v)]; ok {
			return n
		}
		return v
	},
	// first keeps the first arg characters.
	"first": func(v, arg string) string {
		n, _ := strconv.Atoi(arg)
		if r := []rune(v); n > 0 && len(r) > n {
			return string(r[:n])
		}
		return v
	},
}

// carrierNames are the common carriers' names by code.
var carrierNames = map[string]string{
	"SF": "顺丰速运", "ZTO": "中通快递", "YTO": "圆通速递", "STO": "申通快递", "YUNDA": "韵达快递",
	"JT": "极兔速递", "JD": "京东快递", "EMS": "中国邮政 EMS", "DBL": "德邦快递", "BEST": "百世快递",
}

// MaskPhone masks a phone number as carriers print it: the first 3 and the
// last 4 digits stay, the rest become four asterisks (138****5678); a +86
// country prefix is dropped. Fewer than 8 digits are all masked but the
// last 4.
func MaskPhone(phone string) string {
	var d []byte
	for i := 0; i < len(phone); i++ {
		if c := phone[i]; c >= '0' && c <= '9' {
			d = append(d, c)
		}
	}
	if len(d) == 13 && string(d[:2]) == "86" {
		d = d[2:]
	}
	switch {
	case len(d) == 0:
		return ""
	case len(d) < 8:
		return strings.Repeat("*", max(0, len(d)-4)) + string(d[max(0, len(d)-4):])
	}
	return string(d[:3]) + "****" + string(d[len(d)-4:])
}

func compile(field, s string, fields fieldSet, row map[string]bool) (pattern, error) {
	var p pattern
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '{' && i+1 < len(s) && s[i+1] == '{', c == '}' && i+1 < len(s) && s[i+1] == '}':
			lit.WriteByte(c)
			i++
		case c == '}':
			return nil, floorgate.FieldErrorf(field, "a lone '}' at %d: write }} for a brace", i)
		case c == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, floorgate.FieldErrorf(field, "'{' at %d is not closed", i)
			}
			parts := strings.Split(s[i+1:i+end], "|")
			seg := segment{field: strings.TrimSpace(parts[0])}
			known := fields.has(seg.field) || row[seg.field]
			if row != nil && row["more"] {
				known = row[seg.field]
			}
			if !known {
				return nil, floorgate.FieldErrorf(field, "{%s}: no such field", seg.field)
			}
			for _, f := range parts[1:] {
				name, arg, _ := strings.Cut(strings.TrimSpace(f), ":")
				if _, ok := filters[name]; !ok {
					return nil, floorgate.FieldErrorf(field, "{%s}: no filter %q (mask_name, mask_phone, upper, kg, carrier_name, default:TEXT, yes:TEXT, first:N)", s[i+1:i+end], name)
				}
				seg.filters = append(seg.filters, filterCall{name, arg})
			}
			if lit.Len() > 0 {
				p = append(p, segment{lit: lit.String()})
				lit.Reset()
			}
			p = append(p, seg)
			i += end
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		p = append(p, segment{lit: lit.String()})
	}
	return p, nil
}

// fill writes p with the values of row (when in a row) and d.
func (p pattern) fill(d, row data) string {
	var b strings.Builder
	for _, s := range p {
		if s.field == "" {
			b.WriteString(s.lit)
			continue
		}
		var v string
		if _, ok := row[s.field]; ok {
			v = scalar(row[s.field])
		} else {
			v = d.lookup(s.field)
		}
		for _, f := range s.filters {
			v = filters[f.name](v, f.arg)
		}
		b.WriteString(v)
	}
	return b.String()
}

// fields lists the fields p binds, for errors.
func (p pattern) fields() []string {
	var out []string
	for _, s := range p {
		if s.field != "" {
			out = append(out, s.field)
		}
	}
	return out
}

// wholeDots reports whether mm is a whole number of dots at 203 dpi (8
// dots/mm) and 300 dpi (12 dots/mm).
func wholeDots(mm float64) bool {
	for _, dpmm := range []float64{8, 12} {
		d := mm * dpmm
		if d < 1 || math.Abs(d-math.Round(d)) > 1e-6 {
			return false
		}
	}
	return true
}
