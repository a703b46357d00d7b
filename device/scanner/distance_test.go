package scanner_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/serial/serialtest"
)

// TestHardwareScannerReadsAreNotMeasurable: a DS2208 on a pty, bound to
// its station as the gateway binds it (CannotMeasure from its profile),
// has its reads recorded not_measurable, not unknown: the KPIs count them
// apart from a device that could have measured and sent nothing.
func TestHardwareScannerReadsAreNotMeasurable(t *testing.T) {
	db := floor(t)
	p := profile(t, "Zebra DS2208")
	if !p.CannotMeasure() {
		t.Fatalf("the DS2208's profile says it can measure its distance (distance %q)", p.DistanceSource())
	}
	s := ssi{t, p}
	link := filepath.Join(t.TempDir(), "ttyS2")
	m := plug(t, link)
	play := serialtest.Play(t, m, slices.Concat(s.connect(true),
		s.read("BADGE-1"), s.feedback("good", floorgate.CodeLoggedIn),
		s.read("LOC-A01"), s.feedback("good", floorgate.CodeLocationOK),
		s.read("LOC-A02"), s.feedback("bad", floorgate.CodeWrongLocation))...)
	dev := scanner.NewDevice(scanner.DeviceOptions{
		Name: "cart-scanner", Model: p.Model, Address: link,
		Open: func(context.Context) (scanner.Conn, error) { return serial.OpenScanner(link, p, nil) },
	})
	vs := newVerdicts()
	st, err := scanner.NewStation(db, dev, scanner.StationOptions{ID: "STN-1", OnVerdict: vs.add,
		CannotMeasure: p.CannotMeasure()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); dev.Run(ctx) }()
	go func() { defer wg.Done(); st.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })

	select {
	case <-play.Done():
	case <-time.After(wait):
		t.Fatal("transcript not played to the end")
	}
	vs.waitN(t, 3)
	evs, err := db.Journal(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Type != floorgate.EventScanAccepted && ev.Type != floorgate.EventScanRejected {
			continue
		}
		var r floorgate.ScanRecord
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			t.Fatal(err)
		}
		if r.Device != "STN-1" || r.DistanceMM != 0 {
			t.Errorf("scan record %+v: want device STN-1 and no distance_mm", r)
		}
		got = append(got, string(r.Code)+" "+r.Distance)
	}
	want := []string{"location_ok not_measurable", "wrong_location not_measurable"}
	if !slices.Equal(got, want) {
		t.Errorf("scan records %q, want %q", got, want)
	}
}
