package label

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
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

// FuzzTemplates fills a waybill, packing list, location label and item
// label with fuzzed shipment, location and item fields (CJK, control
// characters, long text, zero and negative quantities) and renders each to
// ZPL, TSPL, EPL2, ESC/POS and PNG. It asserts that nothing panics, that
// each template and render gives either an error or output, and that no
// field data can inject a command: checkZPL, checkTSPL, and paintEPL2,
// which fails on any command the renderer does not write.
func FuzzTemplates(f *testing.F) {
	f.Add("SO-88130", "SF", "SF1402357948561", "张伟", "13800138000", "广东省深圳市南山区科技园南路18号2栋301", "USB-C cable 1m", 2, "A-01-03-2", "(10)L42(17)261231")
	f.Add("SO-1", "ZTO", "7530 0000 1234", "Li \"Lei\"", "+86 138-0013-8000", "Room 5^FS^XZ~JR\r\nPRINT 9", "x_y~z", 0, "LOC^1", "(10)A_B")
	f.Add("O", "YTO", "YT\r\nPRINT 99", "Na\rme", "13800138000", "addr", "线\x00", -3, "C-04-02-3", "(21)12345")
	f.Add("O2", "EMS", strings.Repeat("9", 64), strings.Repeat("名", 200), "0755-86000000", strings.Repeat("地址 ", 300), "a", 1<<30, strings.Repeat("L", 40), "(10)"+strings.Repeat("1", 20))

	font, err := DefaultFont()
	if err != nil {
		f.Skipf("no CJK font (make test installs fonts-wqy-microhei): %v", err)
	}
	f.Fuzz(func(t *testing.T, order, carrier, tracking, name, phone, address, item string, qty int, code, gs1 string) {
		s := floorgate.Shipment{Order: order, Carrier: carrier, Tracking: tracking,
			Recipient: floorgate.Party{Name: name, Phone: phone, Address: address},
			Sender:    floorgate.Party{Name: "SZ-01 仓库", Phone: "0755-86000000", Address: address},
			Lines:     []floorgate.ShipmentLine{{SKU: code, Name: item, Qty: qty}, {SKU: "SKU-1", Name: name, Qty: 1}}}
		labels := map[string]func() (Label, error){
			"waybill":      func() (Label, error) { return Waybill(s, "100x150") },
			"packing list": func() (Label, error) { return PackingList(s) },
			"location": func() (Label, error) {
				return LocationLabel(floorgate.Location{Code: code, Barcode: tracking}, 0.375)
			},
			"item": func() (Label, error) {
				return ItemLabel(floorgate.Item{SKU: code, Name: item, NameZH: name}, "(01)04006381333931"+gs1)
			},
		}
		for what, make := range labels {
			l, err := make()
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("%s: empty error", what)
				}
				continue
			}
			for _, o := range []Options{{DPI: 203, Font: font}, {DPI: 300, Font: font, ResidentCJK: true}} {
				formats := []Format{ZPL, TSPL, EPL2}
				if !o.ResidentCJK {
					formats = append(formats, ESCPOS, PNG)
				}
				for _, fm := range formats {
					out, err := Render(l, fm, o)
					if err != nil {
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
