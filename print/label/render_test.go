package label

import (
	"bytes"
	"errors"
	"testing"
)

// TestResidentCJK checks that with a resident CJK font text goes as text
// (ZPL ^A@ with ^CI28, TSPL's resident font), so the only graphics left in
// a ZPL job are its barcodes, one ^GF each.
func TestResidentCJK(t *testing.T) {
	l := fixtures()["parcel"]
	barcodes := 0
	for _, e := range l.Elements {
		if _, ok := e.(Barcode); ok {
			barcodes++
		}
	}
	o := Options{DPI: 203, Font: testFont(t), ResidentCJK: true}
	z, err := Render(l, ZPL, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"^CI28", "^A@N,", "^FD广东省深圳市"} {
		if !bytes.Contains(z, []byte(want)) {
			t.Errorf("ZPL with a resident CJK font lacks %q", want)
		}
	}
	if n := bytes.Count(z, []byte("^GF")); n != barcodes {
		t.Errorf("ZPL with a resident CJK font sends %d ^GF graphics, want %d: one per barcode and no text", n, barcodes)
	}
	ts, err := Render(l, TSPL, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CODEPAGE UTF-8", `"TSS24.BF2"`, "王小明"} {
		if !bytes.Contains(ts, []byte(want)) {
			t.Errorf("TSPL with a resident CJK font lacks %q", want)
		}
	}
	if bytes.Contains(ts, []byte("BITMAP")) {
		t.Error("TSPL with a resident CJK font still sends BITMAP")
	}
	o.ResidentCJK = false
	z, _ = Render(l, ZPL, o)
	if bytes.Contains(z, []byte("^CI28")) || bytes.Contains(z, []byte("王")) || !bytes.Contains(z, []byte("^GFA,")) {
		t.Error("ZPL without a resident CJK font must rasterise Chinese text as ^GFA")
	}
}

// TestESCPOSIsTheRaster checks the ESC/POS job is ESC @, GS v 0 bands that
// together are exactly the label raster, and a cut.
func TestESCPOSIsTheRaster(t *testing.T) {
	l := fixtures()["parcel"]
	o := Options{DPI: 203, Font: testFont(t)}
	job, err := Render(l, ESCPOS, o)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := newRenderer(l, o)
	want, err := r.raster()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(job, []byte{0x1b, 0x40}) || !bytes.HasSuffix(job, []byte{0x1d, 0x56, 0x42, 0x00}) {
		t.Fatalf("job does not start with ESC @ and end with GS V 66 0")
	}
	p, end := job[2:], len(job)-4-2
	var got []byte
	rows := 0
	for len(p) > 0 && len(got) < end {
		if !bytes.HasPrefix(p, []byte{0x1d, 0x76, 0x30, 0}) {
			t.Fatalf("expected GS v 0 at offset %d", len(job)-len(p))
		}
		wb, h := int(p[4])|int(p[5])<<8, int(p[6])|int(p[7])<<8
		if wb != want.stride {
			t.Fatalf("band width %d bytes, want %d", wb, want.stride)
		}
		got = append(got, p[8:8+wb*h]...)
		rows += h
		p = p[8+wb*h:]
		if len(p) == 4 {
			break
		}
	}
	if rows != want.h || !bytes.Equal(got, want.bits) {
		t.Errorf("bands carry %d rows that differ from the %d-row raster", rows, want.h)
	}
}

func TestRenderRefuses(t *testing.T) {
	f := testFont(t)
	l := fixtures()["parcel"]
	if _, err := Render(l, ZPL, Options{DPI: 600, Font: f}); !errors.Is(err, ErrDPI) {
		t.Errorf("600 dpi: %v, want ErrDPI", err)
	}
	if _, err := Render(l, "cpcl", Options{DPI: 203, Font: f}); !errors.Is(err, ErrFormat) {
		t.Errorf("cpcl: %v, want ErrFormat", err)
	}
	tight := Label{WidthMM: 50, HeightMM: 20, Elements: []Element{
		Text{X: 1, Y: 1, W: 20, H: 4, SizeMM: 3, Fit: true, Text: fixtureAddress},
	}}
	for _, fm := range []Format{ZPL, TSPL, EPL2, ESCPOS, PNG} {
		if _, err := Render(tight, fm, Options{DPI: 203, Font: f}); !errors.Is(err, ErrTextOverflow) {
			t.Errorf("%s: address in a 20x4 mm box: %v, want ErrTextOverflow", fm, err)
		}
	}
}
