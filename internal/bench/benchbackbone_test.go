package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestBenchBackboneRunsTiny keeps bench backbone working: a few hundred
// events through one Mosquitto and through a real three-node cluster laid
// out by backbone init, with the gateways batching, reach the workers
// every one; so do a few hundred stored by leaf sites during an outage
// once their links are mended; and the BENCH line is one bench report
// reads.
func TestBenchBackboneRunsTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Mosquitto and three nats-server processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	err := benchCommand(ctx, []string{"backbone", "--events", "600", "--rate-events", "300", "--batch-events", "50",
		"--timeout", "1m", "--dir", t.TempDir()}, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	b, err := ParseBenchLine(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	t.Log(b.Line)
	if b.Name != "backbone gateways=3 workers=2 backlog=600 batch=50" || len(b.Figures) != 3 {
		t.Errorf("name %q, %d figures", b.Name, len(b.Figures))
	}
	if b.Fields["lost"] != 0 || b.Fields["nodes"] != 3 || b.Fields["events_per_s"] <= 0 || b.Fields["mosquitto_events_per_s"] <= 0 ||
		b.Fields["drain_s"] <= 0 || b.Fields["stream_s"] < b.Fields["puback_s"] {
		t.Errorf("%s\n%s", b.Line, errb.String())
	}
	// The leaf part: every event stored on the sites, then in the
	// stream, confirmed and with the workers.
	for _, k := range []string{"leaf_store_s", "leaf_stream_s", "leaf_confirm_s", "leaf_drain_s", "leaf_lost", "leaf_dup"} {
		if _, ok := b.Fields[k]; !ok {
			t.Errorf("no %s in %s", k, b.Line)
		}
	}
	if b.Fields["leaf_lost"] != 0 || b.Fields["leaf_store_s"] <= 0 || b.Fields["leaf_stream_s"] <= 0 || b.Fields["leaf_confirm_s"] <= 0 ||
		b.Fields["leaf_drain_s"] <= 0 {
		t.Errorf("%s\n%s", b.Line, errb.String())
	}
}

// TestBenchBackboneLineWithoutLeaf: a line of bench backbone --leaf=false
// has no leaf fields and is read all the same, without the leaf figure.
func TestBenchBackboneLineWithoutLeaf(t *testing.T) {
	r := backboneResult{gateways: 3, nodes: 3, workers: 2, rateEvents: 300, backlog: 600, natsPerS: 900, mosquittoPerS: 1000,
		drain: 3 * time.Second, target: 120 * time.Second}
	for _, leaf := range []*leafTimes{nil, {store: time.Second, stream: 2 * time.Second, confirm: 3 * time.Second, workers: 4 * time.Second}} {
		r.leaf = leaf
		b, err := ParseBenchLine(r.String())
		if err != nil {
			t.Fatal(err)
		}
		want := 2
		if leaf != nil {
			want = 3
		}
		if _, has := b.Fields["leaf_drain_s"]; len(b.Figures) != want || has != (leaf != nil) {
			t.Errorf("%s: %d figures, want %d", b.Line, len(b.Figures), want)
		}
	}
}

// TestBenchERPCountsEachEventOnce: the bench's common store counts an
// event the first time any worker writes it, and a duplicate after.
func TestBenchERPCountsEachEventOnce(t *testing.T) {
	e := newBenchERP()
	done := e.arm(3)
	for _, line := range []string{
		`{"id":"inc1-1","seq":1}`, `{"id":"inc1-1","seq":1}`, `{"id":"inc2-1","seq":1}`,
		`{"seq":900,"id":"inc1-900"}`, `{"id":"inc1-900","seq":900}`,
	} {
		e.Write([]byte(line + "\n"))
	}
	select {
	case <-done:
	default:
		t.Fatal("three events, not complete")
	}
	if got, dups := e.count(); got != 3 || dups != 2 {
		t.Errorf("%d events, %d duplicates; want 3, 2", got, dups)
	}
}
