package kpi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// TestNotMeasurableIsNotUnknown: scans from a device that cannot measure
// its distance (a hardware scanner's station) are counted not_measurable,
// not lumped into unknown, and each device gets its row, saying whether
// it can measure; the rollup gives the same.
func TestNotMeasurableIsNotUnknown(t *testing.T) {
	var j journal
	rec := func(tm time.Time, dev, op, dist string) {
		j.add(floorgate.EventScanAccepted, tm, floorgate.ScanRecord{ScanID: fmt.Sprint("s", len(j.evs)), Device: dev,
			Operator: op, Data: "x", Code: floorgate.CodeLocationOK, Distance: dist})
	}
	// pda-1: 2 in, 1 out, 1 unknown. STN-1, a DS2208 station: 3 not
	// measurable. PACK-1, a station with a scanner and a PDA: 1 in, 2 not
	// measurable. One old record with no distance class counts nowhere.
	rec(at(8, 0), "pda-1", "p1", "in")
	rec(at(8, 1), "pda-1", "p1", "in")
	rec(at(8, 2), "pda-1", "p1", "out")
	rec(at(8, 3), "pda-1", "p1", "unknown")
	rec(at(8, 10), "STN-1", "p2", "not_measurable")
	rec(at(8, 11), "STN-1", "p2", "not_measurable")
	rec(at(9, 12), "STN-1", "p2", "not_measurable")
	rec(at(9, 20), "PACK-1", "k1", "in")
	rec(at(9, 21), "PACK-1", "k1", "not_measurable")
	rec(at(9, 22), "PACK-1", "k1", "not_measurable")
	rec(at(9, 30), "pda-1", "p1", "")

	r, err := Compute(j.evs, at(8, 0), at(10, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantSite := Distance{In: 3, Out: 1, Unknown: 1, NotMeasurable: 5, Total: 10,
		InShare: 0.3, OutShare: 0.1, UnknownShare: 0.1, NotMeasurableShare: 0.5, InBandShare: f64(0.75)}
	if !reflect.DeepEqual(r.Site.Distance, wantSite) {
		t.Errorf("site distance:\n got %s\nwant %s", js(t, r.Site.Distance), js(t, wantSite))
	}
	wantDevices := []DeviceDistance{
		{Device: "PACK-1", In: 1, NotMeasurable: 2, InBandShare: f64(1), Measurable: true},
		{Device: "STN-1", NotMeasurable: 3, Measurable: false},
		{Device: "pda-1", In: 2, Out: 1, Unknown: 1, InBandShare: f64(2.0 / 3), Measurable: true},
	}
	if !reflect.DeepEqual(r.DistanceByDevice, wantDevices) {
		t.Errorf("distance by device:\n got %s\nwant %s", js(t, r.DistanceByDevice), js(t, wantDevices))
	}
	// Per person and per hour, too.
	for _, p := range r.People {
		if p.Operator == "p2" && (p.Distance.NotMeasurable != 3 || p.Distance.Unknown != 0 || p.Distance.NotMeasurableShare != 1) {
			t.Errorf("p2's distance %s: want 3 not measurable, none unknown", js(t, p.Distance))
		}
	}
	if h := r.Hours[1].Distance; h.NotMeasurable != 3 || h.Unknown != 0 || h.Total != 4 {
		t.Errorf("hour 09's distance %s: want 3 of 4 not measurable", js(t, h))
	}

	// The published names.
	var doc map[string]any
	if err := json.Unmarshal([]byte(js(t, r)), &doc); err != nil {
		t.Fatal(err)
	}
	d := doc["site"].(map[string]any)["distance"].(map[string]any)
	if d["not_measurable"] != 5.0 || d["not_measurable_share"] != 0.5 {
		t.Errorf("site.distance JSON: %v", d)
	}
	rows := doc["distance_by_device"].([]any)
	if stn := rows[1].(map[string]any); stn["device"] != "STN-1" || stn["not_measurable"] != 3.0 ||
		stn["measurable"] != false || stn["in_band_share"] != nil {
		t.Errorf("distance_by_device[1] JSON: %v", stn)
	}

	// The rollup answers the same, for whole hours and a cut one.
	roll := NewRollup()
	for _, ev := range j.evs {
		if err := roll.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range [][2]time.Time{{at(8, 0), at(10, 0)}, {at(8, 5), at(9, 21)}} {
		got, err := roll.Report(w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Compute(j.evs, w[0], w[1], nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.DistanceByDevice, want.DistanceByDevice) || !reflect.DeepEqual(got.Site.Distance, want.Site.Distance) {
			t.Errorf("[%v, %v): rollup %s %s, Compute %s %s", w[0], w[1], js(t, got.Site.Distance), js(t, got.DistanceByDevice),
				js(t, want.Site.Distance), js(t, want.DistanceByDevice))
		}
	}
	// An empty window has no rows, as an empty list.
	empty, err := Compute(nil, at(8, 0), at(9, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	if empty.DistanceByDevice == nil || len(empty.DistanceByDevice) != 0 {
		t.Errorf("empty window: distance_by_device %#v, want []", empty.DistanceByDevice)
	}
}

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
