package label

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// tsplCommands are the commands the TSPL renderer writes, one a line.
var tsplCommands = []string{"SIZE ", "GAP ", "DIRECTION ", "CODEPAGE ", "CLS", "TEXT ", "BARCODE ", "QRCODE ", "BAR ", "BOX ", "BITMAP ", "PRINT "}

// checkZPL fails unless every ^FD field data in out runs to its ^FS with
// no ^ or ~ of its own (the data hex-escapes them under ^FH), so no data
// can start a command; and out is one format, ^XA … ^XZ.
func checkZPL(t *testing.T, what string, out []byte) {
	t.Helper()
	s := string(out)
	if !strings.HasPrefix(s, "^XA\n") || !strings.HasSuffix(s, "^XZ\n") || strings.Count(s, "^XA") != 1 || strings.Count(s, "^XZ") != 1 {
		t.Fatalf("%s: not one ^XA…^XZ format:\n%s", what, s)
	}
	parts := strings.Split(s, "^FD")
	for _, p := range parts[1:] {
		end := strings.Index(p, "^FS")
		if end < 0 || strings.IndexAny(p, "^~") != end {
			t.Fatalf("%s: field data %q injects a command", what, p[:min(len(p), 80)])
		}
	}
}

// checkTSPL fails unless out is a sequence of the renderer's commands,
// each ended by CR LF with no CR or LF inside (BITMAP's binary data is
// skipped by its announced size), quoted strings closed, ending in PRINT.
func checkTSPL(t *testing.T, what string, out []byte) {
	t.Helper()
	for rest := out; len(rest) > 0; {
		known := false
		for _, c := range tsplCommands {
			known = known || bytes.HasPrefix(rest, []byte(c))
		}
		if !known {
			t.Fatalf("%s: unknown TSPL command at %q", what, rest[:min(len(rest), 60)])
		}
		var line []byte
		if bytes.HasPrefix(rest, []byte("BITMAP ")) {
			var x, y, w, h, mode int
			if _, err := fmt.Sscanf(string(rest[:bytes.IndexByte(rest, '\r')+1]), "BITMAP %d,%d,%d,%d,%d,", &x, &y, &w, &h, &mode); err != nil {
				t.Fatalf("%s: %q: %v", what, rest[:min(len(rest), 60)], err)
			}
			head := bytes.IndexByte(rest, ',')
			for i := 0; i < 4; i++ {
				head += 1 + bytes.IndexByte(rest[head+1:], ',')
			}
			n := head + 1 + w*h
			if n+2 > len(rest) || string(rest[n:n+2]) != "\r\n" {
				t.Fatalf("%s: BITMAP of %d bytes not ended by CR LF", what, w*h)
			}
			rest = rest[n+2:]
			continue
		}
		i := bytes.Index(rest, []byte("\r\n"))
		if i < 0 {
			t.Fatalf("%s: command %q not ended by CR LF", what, rest)
		}
		line, rest = rest[:i], rest[i+2:]
		if bytes.ContainsAny(line, "\r\n") {
			t.Fatalf("%s: CR or LF inside the command %q: data can inject a command", what, line)
		}
		if bytes.Count(bytes.ReplaceAll(line, []byte(`\["]`), nil), []byte(`"`))%2 != 0 {
			t.Fatalf("%s: unbalanced quotes in %q", what, line)
		}
	}
	if !bytes.HasSuffix(out, []byte("PRINT 1\r\n")) {
		t.Fatalf("%s: does not end with PRINT 1", what)
	}
}

// FuzzRender draws fuzzed data (CJK, control characters, printer command
// characters, long text) in every element that carries data — text plain,
// bold, aligned and Fit, a Code 128, a GS1-128 both raw and built by
// GS1ElementString, a QR code — and renders each label to ZPL, TSPL, EPL2,
// ESC/POS and PNG at 203 dpi, and with a resident CJK font at 300 dpi. It
// asserts that nothing panics, that each render gives either an error or
// output, and that no data can inject a command: checkZPL, checkTSPL, and
// paintEPL2, which fails on any command the renderer does not write.
func FuzzRender(f *testing.F) {
	f.Add("广东省深圳市南山区科技园南路18号2栋301 USB-C cable 1m", "SF1402357948561", "(10)L42(17)261231")
	f.Add("Room 5^FS^XZ~JR\r\nPRINT 9 \"q\" x_y~z", "LOC^1", "(10)A_B")
	f.Add("Na\rme\x00线", "YT\r\nPRINT 99", "(21)12345")
	f.Add(strings.Repeat("地址 ", 60), strings.Repeat("9", 64), "(10)"+strings.Repeat("1", 20))

	font, err := DefaultFont()
	if err != nil {
		f.Skipf("no CJK font (make test installs fonts-wqy-microhei): %v", err)
	}
	f.Fuzz(func(t *testing.T, text, code, gs1 string) {
		labels := map[string][]Element{
			"text": {
				Text{X: 2, Y: 2, W: 56, H: 12, SizeMM: 4, Text: text},
				Text{X: 2, Y: 15, W: 40, H: 8, SizeMM: 3.5, Bold: true, Align: AlignRight, Fit: true, Text: text},
				Text{X: 2, Y: 25, W: 56, H: 5, SizeMM: 3, Align: AlignCenter, Text: text},
			},
			"code 128": {
				Barcode{X: 2.5, Y: 2, HeightMM: 10, ModuleMM: 0.25, Kind: Code128, Data: code},
				Text{X: 2, Y: 13, W: 56, H: 5, SizeMM: 3, Align: AlignCenter, Text: code},
			},
			"gs1-128 raw": {Barcode{X: 2.5, Y: 2, HeightMM: 10, ModuleMM: 0.25, Kind: GS1128, Data: gs1}},
			"qr":          {Barcode{X: 2.5, Y: 2, ModuleMM: 0.25, Kind: QR, Data: text}},
		}
		if es, err := GS1ElementString("(01)04006381333931" + gs1); err == nil {
			labels["gs1-128"] = []Element{Barcode{X: 2.5, Y: 2, HeightMM: 10, ModuleMM: 0.25, Kind: GS1128, Data: es}}
		} else if err.Error() == "" {
			t.Fatal("GS1ElementString: empty error")
		}
		for what, es := range labels {
			// Small, so that each input is quick; what does not fit is cut.
			l := Label{Name: what, WidthMM: 60, HeightMM: 40, Elements: es}
			for _, o := range []Options{{DPI: 203, Font: font}, {DPI: 300, Font: font, ResidentCJK: true}} {
				formats := []Format{ZPL, TSPL, EPL2}
				if !o.ResidentCJK {
					formats = append(formats, ESCPOS, PNG)
				}
				for _, fm := range formats {
					out, err := Render(l, fm, o)
					if err != nil {
						if err.Error() == "" {
							t.Fatalf("%s %s: empty error", what, fm)
						}
						continue
					}
					if len(out) == 0 {
						t.Fatalf("%s %s: no output and no error", what, fm)
					}
					id := fmt.Sprintf("%s %s (resident CJK %v)", what, fm, o.ResidentCJK)
					switch fm {
					case ZPL:
						checkZPL(t, id, out)
					case TSPL:
						checkTSPL(t, id, out)
					case EPL2:
						paintEPL2(t, out)
					}
				}
			}
		}
	})
}
