package profiles

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEmbeddedProfilesLoad(t *testing.T) {
	set, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Zebra DS2208", "Zebra DS4608", "Zebra DS9308",
		"Honeywell Voyager 1250g", "Honeywell Xenon 1950g",
		"Newland HR32", "Newland HR52", "Datalogic QuickScan QD2430",
		"Zebra ZD421", "Zebra ZT411", "TSC TE244", "Gprinter GP-1324D",
		"Xprinter XP-420B", "Epson TM-T20III",
		"Zebra TC21", "Zebra TC52", "Honeywell CT40", "Urovo DT50",
	}
	got := set.Models()
	for _, m := range want {
		if !slices.Contains(got, m) {
			t.Errorf("model %q not shipped", m)
		}
	}
	if len(got) != len(want) {
		t.Errorf("shipped %d models, want %d: %v", len(got), len(want), got)
	}
}

// TestSSIFrameChecksums recomputes, independently of the validator, the
// checksum of every SSI frame in every shipped profile.
func TestSSIFrameChecksums(t *testing.T) {
	set, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	frames := 0
	for _, m := range set.Models() {
		p, _ := set.Get(m)
		if p.Dialect != "ssi" {
			continue
		}
		cmds := append(slices.Clone(p.Init), p.Feedback.Good, p.Feedback.Bad, p.Feedback.Warn)
		for _, c := range cmds {
			b, err := DecodeHex(c)
			if err != nil {
				t.Fatalf("%s: %q: %v", p.File, c, err)
			}
			for len(b) > 0 {
				n := int(b[0])
				if n+2 > len(b) {
					t.Fatalf("%s: %q: length byte %d overruns", p.File, c, n)
				}
				sum := 0
				for _, x := range b[:n] {
					sum += int(x)
				}
				want := (0x10000 - sum) & 0xFFFF
				got := int(b[n])<<8 | int(b[n+1])
				if got != want {
					t.Errorf("%s: frame % X: checksum %04X, want %04X", p.File, b[:n+2], got, want)
				}
				if b[2] != 0x04 {
					t.Errorf("%s: frame % X: source %02X, want 04 (host)", p.File, b[:n+2], b[2])
				}
				frames++
				b = b[n+2:]
			}
		}
	}
	if frames < 12 {
		t.Errorf("checked only %d SSI frames", frames)
	}
}

// The example frames of the SSI Programmer's Guide as quoted in PRODUCT.md.
func TestSSIChecksumKnownFrames(t *testing.T) {
	for _, f := range []string{"04 D0 04 00 FF 28", "05 E6 04 00 00 FF 11", "05 E7 04 00 01 FF 0F"} {
		b, _ := DecodeHex(f)
		got := SSIChecksum(b[:len(b)-2])
		if want := uint16(b[len(b)-2])<<8 | uint16(b[len(b)-1]); got != want {
			t.Errorf("%s: checksum %04X, want %04X", f, got, want)
		}
	}
}

const goodScanner = `model: Test SSI
kind: scanner
transports: [serial]
usb: {vid: "05e0", pid: "beef"}
serial: {baud: 9600, data_bits: 8, parity: none, stop_bits: 1, flow: none}
dialect: ssi
init: ["07 C6 04 00 FF 2D 01 FE 02"]
feedback:
  good: "05 E6 04 00 00 FF 11"
  bad: "05 E6 04 00 06 FF 0B"
  warn: "05 E6 04 00 01 FF 10"
`

func TestBrokenProfilesRefused(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string // exact "file: field: " prefix of one error
		line  int    // expected line, 0 = not checked
	}{
		{"unknown field", map[string]string{"a.yaml": goodScanner + "colour: red\n"}, "a.yaml: colour: unknown field", 12},
		{"unknown nested field", map[string]string{"a.yaml": strings.Replace(goodScanner, "flow: none}", "flow: none, speed: 3}", 1)}, "a.yaml: serial.speed: unknown field", 5},
		{"bad VID", map[string]string{"a.yaml": strings.Replace(goodScanner, `vid: "05e0"`, `vid: "5e0"`, 1)}, `a.yaml: usb.vid: "5e0" is not exactly 4 hex digits`, 4},
		{"bad PID hex", map[string]string{"a.yaml": strings.Replace(goodScanner, `pid: "beef"`, `pid: "beeg"`, 1)}, `a.yaml: usb.pid: "beeg" is not exactly 4 hex digits`, 0},
		{"missing feedback command", map[string]string{"a.yaml": strings.Replace(goodScanner, "  warn: \"05 E6 04 00 01 FF 10\"\n", "", 1)}, "a.yaml: feedback.warn: required", 8},
		{"missing feedback", map[string]string{"a.yaml": goodScanner[:strings.Index(goodScanner, "feedback:")]}, "a.yaml: feedback: required for dialect ssi", 0},
		{"bad SSI checksum", map[string]string{"a.yaml": strings.Replace(goodScanner, "FF 2D 01 FE 02", "FF 2D 01 FE 03", 1)}, "a.yaml: init[0]: SSI frame 1: checksum FE03, want FE02", 7},
		{"bad SSI length", map[string]string{"a.yaml": strings.Replace(goodScanner, `good: "05 E6`, `good: "06 E6`, 1)}, "a.yaml: feedback.good: SSI frame 1: length byte 0x06", 9},
		{"bad hex", map[string]string{"a.yaml": strings.Replace(goodScanner, `bad: "05 E6 04 00 06 FF 0B"`, `bad: "05 E6 04 00 06 FF 0"`, 1)}, "a.yaml: feedback.bad: invalid hex", 10},
		{"unknown verdict code", map[string]string{"a.yaml": goodScanner + "  codes: {wrong_shelf: \"05 E6 04 00 15 FE FC\"}\n"}, `a.yaml: feedback.codes.wrong_shelf: "wrong_shelf" is not a verdict code`, 0},
		{"bad SSI frame for a code", map[string]string{"a.yaml": goodScanner + "  codes: {wrong_location: \"05 E6 04 00 15 FE FD\"}\n"}, "a.yaml: feedback.codes.wrong_location: SSI frame 1: checksum FEFD, want FEFC", 0},
		{"bad baud", map[string]string{"a.yaml": strings.Replace(goodScanner, "baud: 9600", "baud: 9601", 1)}, "a.yaml: serial.baud: 9601 is not a standard baud rate", 5},
		{"baud not a number", map[string]string{"a.yaml": strings.Replace(goodScanner, "baud: 9600", "baud: fast", 1)}, "a.yaml: serial.baud: cannot unmarshal !!str `fast` into int", 5},
		{"bad dialect", map[string]string{"a.yaml": strings.Replace(goodScanner, "dialect: ssi", "dialect: snapi", 1)}, `a.yaml: dialect: "snapi" is not one of`, 6},
		{"bad transport", map[string]string{"a.yaml": strings.Replace(goodScanner, "[serial]", "[serial, tcp]", 1)}, `a.yaml: transports[1]: "tcp" is not one of`, 3},
		{"missing model", map[string]string{"a.yaml": strings.Replace(goodScanner, "model: Test SSI\n", "", 1)}, "a.yaml: model: required", 0},
		{"duplicate model", map[string]string{"a.yaml": goodScanner, "b.yaml": goodScanner}, `b.yaml: model: duplicate model "Test SSI", already in `, 0},
		{"scanner that says it measures", map[string]string{"a.yaml": goodScanner + "distance: geometry\n"}, `a.yaml: distance: "geometry" is not one of none`, 12},
		{"pda bad distance", map[string]string{"p.yaml": "model: X\nkind: pda\ntransports: [websocket]\noptics: {focal_px: 900}\ndistance: laser\n"}, `p.yaml: distance: "laser" is not one of none, measured, geometry`, 5},
		{"printer with a distance", map[string]string{"p.yaml": "model: X\nkind: printer\ntransports: [tcp]\nprinter: {language: zpl, dpi: 203}\ndistance: none\n"}, "p.yaml: distance: only scanners and pdas scan", 5},
		{"pda without optics", map[string]string{"p.yaml": "model: X\nkind: pda\ntransports: [websocket]\n"}, "p.yaml: optics: required for pdas", 0},
		{"printer without dpi", map[string]string{"p.yaml": "model: X\nkind: printer\ntransports: [tcp]\nprinter: {language: zpl}\n"}, "p.yaml: printer.dpi: required", 4},
		{"printer bad language", map[string]string{"p.yaml": "model: X\nkind: printer\ntransports: [tcp]\nprinter: {language: cpcl, dpi: 203}\n"}, `p.yaml: printer.language: "cpcl" is not one of`, 4},
		{"empty file", map[string]string{"e.yaml": ""}, "e.yaml: empty file", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range c.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(dir)
			if err == nil {
				t.Fatalf("Load accepted it, want error %q", c.want)
			}
			var found *Error
			for _, e := range unjoin(err) {
				var pe *Error
				if errors.As(e, &pe) && strings.HasPrefix(pe.Error(), filepath.Join(dir, "")+"/") {
					rel := strings.TrimPrefix(pe.Error(), dir+"/")
					if strings.HasPrefix(rel, c.want) {
						found = pe
					}
				}
			}
			if found == nil {
				t.Fatalf("error %q\ndoes not contain %q", err, c.want)
			}
			if c.line != 0 && found.Line != c.line {
				t.Errorf("line %d, want %d (%v)", found.Line, c.line, found)
			}
		})
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestSiteDirOverridesAndAdds(t *testing.T) {
	dir := t.TempDir()
	override := strings.Replace(goodScanner, "model: Test SSI", "model: Zebra DS2208", 1) + "notes: site override\n"
	for name, body := range map[string]string{"ds2208-site.yaml": override, "new.yaml": strings.Replace(goodScanner, "beef", "1234", 1), "README.txt": "not a profile"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := set.Get("zebra ds2208")
	if !ok || p.Notes != "site override" || p.File != filepath.Join(dir, "ds2208-site.yaml") {
		t.Errorf("DS2208 not overridden: %+v", p)
	}
	if p, ok := set.Get("Test SSI"); !ok || p.USB.PID != "1234" {
		t.Errorf("site model not added: %+v", p)
	}
	if _, ok := set.Get("Zebra ZD421"); !ok {
		t.Error("embedded ZD421 lost by the overlay")
	}
	emb, _ := Embedded()
	if p, _ := emb.Get("Zebra DS2208"); p.Notes == "site override" {
		t.Error("overlay changed the embedded set")
	}
	if len(set.Models()) != len(emb.Models())+1 {
		t.Errorf("models %d, want %d", len(set.Models()), len(emb.Models())+1)
	}
}

func TestLoadMissingDir(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("a missing site directory was accepted")
	}
}

func TestByUSB(t *testing.T) {
	set, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ vid, pid, want string }{
		{"05e0", "1200", "Zebra DS2208"},
		{"05E0", "1200", "Zebra DS2208"},
	} {
		p, ok := set.ByUSB(c.vid, c.pid)
		if !ok || p.Model != c.want {
			t.Errorf("ByUSB(%s, %s) = %v, %v; want %s", c.vid, c.pid, p, ok, c.want)
		}
	}
	if p, ok := set.ByUSB("ffff", "0000"); ok {
		t.Errorf("ByUSB(ffff, 0000) = %s", p.Model)
	}
}

// TestDistanceSource: a hardware scanner cannot know how far it read from,
// a PDA's camera gives the geometry; the shipped profiles say so, and a
// profile without distance gets its kind's.
func TestDistanceSource(t *testing.T) {
	set, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range set.Models() {
		p, _ := set.Get(m)
		want := map[string]string{KindScanner: DistanceNone, KindPDA: DistanceGeometry, KindPrinter: ""}[p.Kind]
		if got := p.DistanceSource(); got != want {
			t.Errorf("%s (%s): distance %q, want %q", m, p.Kind, got, want)
		}
		if p.Kind != KindPrinter && p.Distance == "" {
			t.Errorf("%s: distance not written in its profile", m)
		}
		if got := p.CannotMeasure(); got != (p.Kind == KindScanner) {
			t.Errorf("%s: CannotMeasure = %v", m, got)
		}
	}
	for _, c := range []struct {
		p    Profile
		want string
	}{
		{Profile{Kind: KindScanner}, DistanceNone},
		{Profile{Kind: KindPDA}, DistanceGeometry},
		{Profile{Kind: KindPDA, Distance: DistanceMeasured}, DistanceMeasured},
		{Profile{Kind: KindPDA, Distance: DistanceNone}, DistanceNone},
		{Profile{Kind: KindPrinter}, ""},
	} {
		if got := c.p.DistanceSource(); got != c.want {
			t.Errorf("%s with distance %q: %q, want %q", c.p.Kind, c.p.Distance, got, c.want)
		}
	}
}

func TestFocalPixels(t *testing.T) {
	for _, c := range []struct {
		o    Optics
		want float64
	}{
		{Optics{FocalPx: 1507}, 1507},
		{Optics{ImageWidth: 1920, HFOVDeg: 65}, 1507}, // PRODUCT.md example
		{Optics{ImageWidth: 1280, HFOVDeg: 48}, 1437},
	} {
		if got := c.o.FocalPixels(); got < c.want-1 || got > c.want+1 {
			t.Errorf("%+v: f = %.1f px, want about %.0f", c.o, got, c.want)
		}
	}
}

// TestVerdictBeepsDistinct: where a scanner profile gives verdicts a signal
// of their own, no two verdicts share one, and none is the plain good, bad
// or warn signal, or a picker could not tell them apart.
func TestVerdictBeepsDistinct(t *testing.T) {
	set, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	withCodes := 0
	for _, m := range set.Models() {
		p, _ := set.Get(m)
		if p.Feedback == nil || len(p.Feedback.Codes) == 0 {
			continue
		}
		withCodes++
		seen := map[string]string{p.Feedback.Good: "good", p.Feedback.Bad: "bad", p.Feedback.Warn: "warn"}
		for code, seq := range p.Feedback.Codes {
			if other, dup := seen[seq]; dup {
				t.Errorf("%s: %s sounds like %s", m, code, other)
			}
			seen[seq] = code
		}
		if got := p.Feedback.For("bad", "wrong_location"); got == p.Feedback.Bad {
			t.Errorf("%s: wrong_location has no beep of its own", m)
		}
		if got := p.Feedback.For("bad", "no_such_code"); got != p.Feedback.Bad {
			t.Errorf("%s: a verdict without its own beep gets %q, want bad", m, got)
		}
	}
	if withCodes < 3 {
		t.Errorf("%d profiles with per-verdict beeps, want the three Zebra SSI scanners", withCodes)
	}
}
