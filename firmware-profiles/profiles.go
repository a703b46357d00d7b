// Package profiles holds floorgate's device knowledge as data: one YAML file per
// device model (scanner, printer or PDA) with its transports, USB ids, serial
// settings, framing, protocol dialect, the bytes sent at connect, the
// feedback commands for the verdict-driven beep, and whether the device can
// know how far it scans from (distance: none for every hardware scanner,
// geometry for a PDA's camera with its optics, or measured; see
// docs/scanners.md "Scanning distance").
//
// It only loads and validates profiles. It must not open ports, talk to
// devices or import any transport package: drivers under device/ read a
// Profile and do the talking.
package profiles

import (
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed *.yaml
var shipped embed.FS

// Device kinds.
const (
	KindScanner = "scanner"
	KindPrinter = "printer"
	KindPDA     = "pda"
)

// Profile is one device model as described by its YAML file.
type Profile struct {
	Model      string    `yaml:"model"`
	Kind       string    `yaml:"kind"`
	Transports []string  `yaml:"transports"`
	USB        *USBID    `yaml:"usb,omitempty"`
	USBIDs     []USBID   `yaml:"usb_ids,omitempty"`
	Serial     *Serial   `yaml:"serial,omitempty"`
	Framing    *Framing  `yaml:"framing,omitempty"`
	Dialect    string    `yaml:"dialect,omitempty"`
	Init       []string  `yaml:"init,omitempty"`
	Feedback   *Feedback `yaml:"feedback,omitempty"`
	Optics     *Optics   `yaml:"optics,omitempty"`
	// Distance is whether the device's scans can know how far they were
	// read from: DistanceNone, DistanceMeasured or DistanceGeometry.
	// Empty takes the kind's default (see DistanceSource).
	Distance string   `yaml:"distance,omitempty"`
	Printer  *Printer `yaml:"printer,omitempty"`
	Notes    string   `yaml:"notes,omitempty"`

	// File is where the profile came from ("ds2208.yaml" or a site path).
	File string `yaml:"-"`
}

// USBID is a USB vendor and product id, each 4 lowercase or uppercase hex digits.
type USBID struct {
	VID string `yaml:"vid"`
	PID string `yaml:"pid"`
	// Mode names the transport this id enumerates as (a scanner has one PID
	// per host mode); empty when there is only one.
	Mode string `yaml:"mode,omitempty"`
}

// Serial is the line setting and the identification probe.
type Serial struct {
	Baud       int    `yaml:"baud"`
	DataBits   int    `yaml:"data_bits"`
	Parity     string `yaml:"parity"`
	StopBits   int    `yaml:"stop_bits"`
	Flow       string `yaml:"flow"`
	Probe      string `yaml:"probe,omitempty"`
	ProbeReply string `yaml:"probe_reply,omitempty"`
}

// Framing is what surrounds decoded data on the wire, as hex strings.
type Framing struct {
	Prefix string `yaml:"prefix"`
	Suffix string `yaml:"suffix"`
	AIM    bool   `yaml:"aim"`
}

// Feedback holds the commands, as hex, that make the device signal a verdict.
type Feedback struct {
	Good string `yaml:"good"`
	Bad  string `yaml:"bad"`
	Warn string `yaml:"warn"`
	// Codes gives chosen verdicts (by code, e.g. "wrong_location") a
	// signal of their own, so they are told apart without looking; other
	// verdicts use good, bad or warn.
	Codes map[string]string `yaml:"codes,omitempty"`
}

// For returns the command, as hex, for a verdict of the given code and kind
// ("good", "bad" or "warn"): the code's own when the profile has one, else
// the kind's; empty when there is neither.
func (f *Feedback) For(kind, code string) string {
	if f == nil {
		return ""
	}
	if s, ok := f.Codes[code]; ok && code != "" {
		return s
	}
	switch kind {
	case "good":
		return f.Good
	case "bad":
		return f.Bad
	case "warn":
		return f.Warn
	}
	return ""
}

// How a device's scans can know their reading distance (Profile.Distance).
const (
	// DistanceNone: never. A wired scanner's decode carries no distance
	// and no image geometry, so its scans are not_measurable, not
	// unknown, and are never refused for distance.
	DistanceNone = "none"
	// DistanceMeasured: the device measures the distance itself and sends
	// it with each scan (distance_mm); geometry, when sent, is used too.
	DistanceMeasured = "measured"
	// DistanceGeometry: the device sends where the symbol was in its
	// camera image (geometry) and the gateway computes the distance with
	// the profile's optics; a measured distance, when sent, wins.
	DistanceGeometry = "geometry"
)

// distanceByKind is what a profile without distance says: a scanner
// cannot know its distance, a PDA's camera gives geometry.
var distanceByKind = map[string]string{
	KindScanner: DistanceNone,
	KindPDA:     DistanceGeometry,
}

// DistanceSource is how the device's scans can know their reading
// distance: the profile's distance, else its kind's default (scanner none,
// pda geometry); "" for a printer.
func (p *Profile) DistanceSource() string {
	if p.Distance != "" {
		return p.Distance
	}
	return distanceByKind[p.Kind]
}

// CannotMeasure reports whether the device's scans can never know their
// reading distance (DistanceSource is none): such a scan is recorded
// not_measurable instead of unknown.
func (p *Profile) CannotMeasure() bool { return p.DistanceSource() == DistanceNone }

// Optics describes a PDA imager for the pinhole distance estimate.
type Optics struct {
	FocalPx       float64 `yaml:"focal_px,omitempty"`
	ImageWidth    int     `yaml:"image_width,omitempty"`
	HFOVDeg       float64 `yaml:"hfov_deg,omitempty"`
	SensorWidthMM float64 `yaml:"sensor_width_mm,omitempty"`
	FocalMM       float64 `yaml:"focal_mm,omitempty"`
}

// FocalPixels returns the focal length in pixels: focal_px when given, else
// (image_width/2)/tan(hfov/2), else focal_mm·image_width/sensor_width_mm.
func (o *Optics) FocalPixels() float64 {
	switch {
	case o == nil:
		return 0
	case o.FocalPx > 0:
		return o.FocalPx
	case o.ImageWidth > 0 && o.HFOVDeg > 0 && o.HFOVDeg < 180:
		return float64(o.ImageWidth) / 2 / math.Tan(o.HFOVDeg/2*math.Pi/180)
	case o.ImageWidth > 0 && o.FocalMM > 0 && o.SensorWidthMM > 0:
		return o.FocalMM * float64(o.ImageWidth) / o.SensorWidthMM
	}
	return 0
}

// Printer is the print language and media of a label or receipt printer.
type Printer struct {
	Language      string   `yaml:"language"`
	DPI           int      `yaml:"dpi"`
	Media         []string `yaml:"media,omitempty"`
	Status        string   `yaml:"status,omitempty"`
	ResidentFonts []string `yaml:"resident_fonts,omitempty"`
}

// IDs returns every USB id of the profile, usb first.
func (p *Profile) IDs() []USBID {
	var ids []USBID
	if p.USB != nil {
		ids = append(ids, *p.USB)
	}
	return append(ids, p.USBIDs...)
}

// HasTransport reports whether the device speaks transport ("serial",
// "hid-pos", "tcp"…).
func (p *Profile) HasTransport(transport string) bool {
	for _, t := range p.Transports {
		if t == transport {
			return true
		}
	}
	return false
}

// InitBytes returns the init commands decoded from hex.
func (p *Profile) InitBytes() [][]byte {
	out := make([][]byte, 0, len(p.Init))
	for _, s := range p.Init {
		b, _ := DecodeHex(s) // validated at load
		out = append(out, b)
	}
	return out
}

// DecodeHex decodes a profile hex string; bytes may be separated by spaces.
func DecodeHex(s string) ([]byte, error) {
	return hex.DecodeString(strings.Join(strings.Fields(s), ""))
}

// Set is a collection of profiles keyed by model.
type Set struct {
	byModel map[string]*Profile
}

// Get returns the profile of a model; the match ignores case and surrounding space.
func (s *Set) Get(model string) (*Profile, bool) {
	p, ok := s.byModel[key(model)]
	return p, ok
}

// ByUSB returns the profile that lists the vendor and product id (hex, any case).
// When two profiles list the same id the one whose model sorts first wins.
func (s *Set) ByUSB(vid, pid string) (*Profile, bool) {
	for _, m := range s.Models() {
		p := s.byModel[key(m)]
		for _, id := range p.IDs() {
			if strings.EqualFold(id.VID, vid) && strings.EqualFold(id.PID, pid) {
				return p, true
			}
		}
	}
	return nil, false
}

// Models returns the model names, sorted.
func (s *Set) Models() []string {
	out := make([]string, 0, len(s.byModel))
	for _, p := range s.byModel {
		out = append(out, p.Model)
	}
	sort.Strings(out)
	return out
}

func key(model string) string { return strings.ToLower(strings.TrimSpace(model)) }

// Embedded returns the profiles shipped inside the binary.
func Embedded() (*Set, error) {
	return Load("")
}

// Load returns the embedded profiles overlaid with the *.yaml files of a site
// directory: a site profile replaces the embedded one of the same model or adds
// a new model. Two files of the same origin naming one model are refused.
// dir "" loads the embedded profiles only.
func Load(dir string) (*Set, error) {
	base, err := loadFS(shipped, ".", "")
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return base, nil
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("load site profiles: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("load site profiles: %s is not a directory", dir)
	}
	site, err := loadFS(os.DirFS(dir), ".", dir)
	if err != nil {
		return nil, err
	}
	for k, p := range site.byModel {
		base.byModel[k] = p
	}
	return base, nil
}

func loadFS(fsys fs.FS, root, prefix string) (*Set, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("load profiles: %w", err)
	}
	sort.Strings(names)
	set := &Set{byModel: map[string]*Profile{}}
	var errs []error
	for _, name := range names {
		file := name
		if prefix != "" {
			file = filepath.Join(prefix, name)
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			errs = append(errs, &Error{File: file, Reason: err.Error()})
			continue
		}
		p, perrs := Parse(file, data)
		if len(perrs) > 0 {
			errs = append(errs, perrs...)
			continue
		}
		if prev, dup := set.byModel[key(p.Model)]; dup {
			errs = append(errs, &Error{File: file, Field: "model",
				Reason: fmt.Sprintf("duplicate model %q, already in %s", p.Model, prev.File)})
			continue
		}
		set.byModel[key(p.Model)] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return set, nil
}

// Parse decodes and validates one profile file. file names it in errors.
func Parse(file string, data []byte) (*Profile, []error) {
	var p Profile
	dec := newDecoder(data)
	if err := dec.Decode(&p); err != nil {
		return nil, decodeErrors(file, data, err)
	}
	p.File = file
	lines := fieldLines(data)
	var errs []error
	for _, e := range validate(&p) {
		e.File = file
		if e.Line == 0 {
			e.Line = lines.lookup(e.Field)
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &p, nil
}
