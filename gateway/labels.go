package gateway

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/floorgate/floorgate"
	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/template"
)

// LabelsConfig says how labels are laid out: the site's own templates, and
// per pack station the waybill stock loaded, the labels' language and the
// template chosen for a carrier.
type LabelsConfig struct {
	// TemplatesDir is a directory of label templates (YAML) that add to or
	// replace the shipped ones (same id). A bad template stops start-up.
	TemplatesDir string `yaml:"templates_dir"`
	// Media is the waybill stock every station has unless it says
	// otherwise: 100x180, 100x150 or 76x130.
	Media string `yaml:"media"`
	// Lang is the labels' language unless a station says otherwise.
	Lang string `yaml:"lang"`
	// Stations override the defaults per pack station, by name.
	Stations map[string]StationLabels `yaml:"stations"`
}

// StationLabels are one pack station's label settings.
type StationLabels struct {
	Media string `yaml:"media"`
	Lang  string `yaml:"lang"`
	// Templates name the waybill template per carrier code (SF, ZTO …),
	// over the one the carrier, variant and media would choose.
	Templates map[string]string `yaml:"templates"`
}

// Waybills are the site's templates as the store and the print worker use
// them: which template a parcel prints with at a station, and whether a
// shipment can print at every station it may be packed at.
type Waybills struct {
	Set      *template.Set
	cfg      LabelsConfig
	stations []string
	// languages are the printer languages the site's printers speak.
	languages []string
}

// LoadWaybills loads the templates and checks the labels configuration
// against them: a template a station names must exist, be a waybill and
// fit the station's stock.
func (c Config) LoadWaybills() (*Waybills, error) {
	set, err := template.Load(c.Labels.TemplatesDir)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	wb := &Waybills{Set: set, cfg: c.Labels, stations: c.PackStations()}
	for _, p := range c.Printers {
		if !slices.Contains(wb.languages, p.Dialect) {
			wb.languages = append(wb.languages, p.Dialect)
		}
	}
	names := make([]string, 0, len(c.Labels.Stations))
	for n := range c.Labels.Stations {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := c.Labels.Stations[n]
		media := wb.Media(n)
		carriers := make([]string, 0, len(st.Templates))
		for k := range st.Templates {
			carriers = append(carriers, k)
		}
		sort.Strings(carriers)
		for _, carrier := range carriers {
			id := st.Templates[carrier]
			t, ok := set.Get(id)
			field := fmt.Sprintf("labels.stations.%s.templates.%s", n, carrier)
			switch {
			case !ok:
				return nil, fmt.Errorf("config: %s: no template %q (floorgate template list)", field, id)
			case t.Kind != template.KindWaybill:
				return nil, fmt.Errorf("config: %s: %q is a %s template, not a waybill", field, id, t.Kind)
			case t.Media != media:
				return nil, fmt.Errorf("config: %s: %q is for %s stock, the station has %s", field, id, t.Media, media)
			}
		}
	}
	return wb, nil
}

// Media is the waybill stock at station.
func (w *Waybills) Media(station string) string {
	if m := w.cfg.Stations[station].Media; m != "" {
		return m
	}
	if w.cfg.Media != "" {
		return w.cfg.Media
	}
	return fgprint.DefaultMedia
}

// Lang is the labels' language at station.
func (w *Waybills) Lang(station string) string {
	if l := w.cfg.Stations[station].Lang; l != "" {
		return l
	}
	return w.cfg.Lang
}

// choose is the waybill template for s at station.
func (w *Waybills) choose(station string, s floorgate.Shipment) (*template.Template, error) {
	if s.Variant != floorgate.VariantCrossBorder {
		for carrier, id := range w.cfg.Stations[station].Templates {
			if strings.EqualFold(carrier, s.Carrier) {
				if t, ok := w.Set.Get(id); ok {
					return t, nil
				}
			}
		}
	}
	media := w.Media(station)
	t, err := w.Set.Waybill(s.Carrier, s.Variant, media)
	if errors.Is(err, template.ErrNoTemplate) && s.Variant == floorgate.VariantCrossBorder {
		// No customs layout on this stock: the shortest one that has
		// one prints on it whole.
		for _, m := range []string{"100x150", "100x180"} {
			if t, err2 := w.Set.Waybill(s.Carrier, s.Variant, m); err2 == nil {
				if mw, mh, _ := floorgate.MediaMM(media); mw >= 100 && mh >= th(t) {
					return t, nil
				}
			}
		}
	}
	return t, err
}

// Template implements store.Waybills: the template's id, or "" when none
// fits (the print worker then names why).
func (w *Waybills) Template(station string, s floorgate.Shipment) string {
	if s.PrintData != nil {
		return "carrier:" + s.PrintData.Format
	}
	t, err := w.choose(station, s)
	if err != nil {
		return ""
	}
	return t.ID
}

// Check implements store.Waybills: a shipment must print at every pack
// station the site has (and at one that never chose a name), with the
// template each would choose: its required fields there, its barcodes and
// text fitting. A carrier's own label must be one a printer here speaks,
// or a page that fits the stock.
func (w *Waybills) Check(s floorgate.Shipment) error {
	if pd := s.PrintData; pd != nil {
		mw, mh, _ := floorgate.MediaMM(pd.Media)
		switch pd.Format {
		case "png":
			if _, err := label.PagePNG(pd.Data, mw, mh); err != nil {
				return floorgate.FieldErrorf("print_data.data", "%v", err)
			}
		case "pdf":
			if _, err := label.PagePDF(pd.Data, mw, mh, 203); err != nil {
				return floorgate.FieldErrorf("print_data.data", "%v", err)
			}
		default:
			if !slices.Contains(w.languages, pd.Format) {
				return floorgate.FieldErrorf("print_data.format", "%s: no printer here speaks it (the site's printers speak %v); send png or pdf", pd.Format, w.languages)
			}
		}
		for _, st := range append([]string{""}, w.stations...) {
			if sw, sh, _ := floorgate.MediaMM(w.Media(st)); mw > sw || mh > sh {
				return floorgate.FieldErrorf("print_data.media", "%s does not fit the %s stock %s", pd.Media, w.Media(st), where(st))
			}
		}
		return w.checkPackingList(s)
	}
	seen := map[string]bool{}
	for _, st := range append([]string{""}, w.stations...) {
		t, err := w.choose(st, s)
		if err != nil {
			return floorgate.FieldErrorf("carrier", "%s %s (%s stock): %v", s.Carrier, where(st), w.Media(st), err)
		}
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		if err := t.Check(s); err != nil {
			return err
		}
	}
	return w.checkPackingList(s)
}

// checkPackingList checks the packing list a parcel with instructions or
// extras prints with its waybill.
func (w *Waybills) checkPackingList(s floorgate.Shipment) error {
	if len(s.Instructions)+len(s.Extras) == 0 {
		return nil
	}
	t, ok := w.Set.Get("packing-list")
	if !ok {
		return floorgate.FieldErrorf("instructions", "no packing-list template prints them")
	}
	return t.Check(s)
}

// where names a station for a refusal: "" is a station with no name.
func where(station string) string {
	if station == "" {
		return "at a station"
	}
	return "at station " + station
}

// th is a template's height in millimetres.
func th(t *template.Template) float64 {
	_, h := t.Size()
	return h
}
