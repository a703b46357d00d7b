package template

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/floorgate/floorgate"
)

//go:embed templates
var shipped embed.FS

// Set is the templates a gateway prints with: the shipped ones, with a
// site's own added or put in their place (same id).
type Set struct {
	byID map[string]*Template
	ids  []string
}

// Shipped is floorgate's own templates.
func Shipped() (*Set, error) { return Load("") }

// Load reads the shipped templates and then every *.yaml file in dir (when
// dir is not empty): a site's template replaces the shipped one with the
// same id, or adds one. Pictures a template names are read from beside it.
// Any bad file stops the load, naming the file and the field.
func Load(dir string) (*Set, error) {
	s := &Set{byID: map[string]*Template{}}
	sub, _ := fs.Sub(shipped, "templates")
	if err := s.addFS(sub, "", false); err != nil {
		return nil, fmt.Errorf("shipped templates: %w", err)
	}
	if dir != "" {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("templates_dir: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("templates_dir: %s is not a directory", dir)
		}
		if err := s.addFS(os.DirFS(dir), dir, true); err != nil {
			return nil, fmt.Errorf("templates_dir: %w", err)
		}
	}
	slices.Sort(s.ids)
	return s, nil
}

func (s *Set) addFS(fsys fs.FS, root string, site bool) error {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return err
	}
	slices.Sort(names)
	seen := map[string]string{}
	for _, n := range names {
		raw, err := fs.ReadFile(fsys, n)
		if err != nil {
			return err
		}
		file := filepath.Join(root, n)
		if !site {
			file = "shipped:" + n
		}
		t, err := Parse(file, raw, func(pic string) ([]byte, error) {
			b, err := fs.ReadFile(fsys, path.Clean(pic))
			if err != nil {
				return nil, fmt.Errorf("%s: cannot be read beside the template", pic)
			}
			return b, nil
		})
		if err != nil {
			return err
		}
		if prev, ok := seen[t.ID]; ok {
			return fmt.Errorf("%s: id: %q is also the id of %s", file, t.ID, prev)
		}
		seen[t.ID] = file
		t.Shipped = !site
		if _, ok := s.byID[t.ID]; !ok {
			s.ids = append(s.ids, t.ID)
		}
		s.byID[t.ID] = t
	}
	return nil
}

// Get returns the template with id.
func (s *Set) Get(id string) (*Template, bool) {
	t, ok := s.byID[id]
	return t, ok
}

// All lists the templates by id.
func (s *Set) All() []*Template {
	out := make([]*Template, 0, len(s.ids))
	for _, id := range s.ids {
		out = append(out, s.byID[id])
	}
	return out
}

// ErrNoTemplate is returned when no template fits a shipment.
var ErrNoTemplate = errors.New("no waybill template")

// Waybill chooses the waybill template for a carrier's parcel of variant
// on media: a cross-border parcel gets a customs layout, anything else a
// normal one; among those, one made for the carrier comes before one for
// any carrier ("*"), and a shipped one comes after a site's. The choice is
// the same every time: ties go to the lowest id.
func (s *Set) Waybill(carrier string, variant floorgate.OrderVariant, media string) (*Template, error) {
	want := floorgate.VariantNormal
	if variant == floorgate.VariantCrossBorder {
		want = floorgate.VariantCrossBorder
	}
	var best *Template
	rank := func(t *Template) int {
		r := 0
		if slices.ContainsFunc(t.Carriers, func(c string) bool { return strings.EqualFold(c, carrier) }) {
			r += 2
		}
		if !t.Shipped {
			r++ // a site's own
		}
		return r
	}
	for _, id := range s.ids {
		t := s.byID[id]
		tv := t.Variant
		if tv == "" {
			tv = floorgate.VariantNormal
		}
		if t.Kind != KindWaybill || t.Media != media || tv != want || !t.ForCarrier(carrier) {
			continue
		}
		if best == nil || rank(t) > rank(best) {
			best = t
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w for carrier %q, variant %s, media %s", ErrNoTemplate, carrier, want, media)
	}
	return best, nil
}
