package bench

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"
)

// TestBenchKPISmoke runs bench kpi small: a journal in a real store, the
// rollup built by the status page's server, requests through its handler,
// one BENCH line with every field.
func TestBenchKPISmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := benchCommand(ctx, []string{"kpi", "--events", "3000", "--days", "2", "--requests", "3"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkBenchLine(t, out.String(), "kpi", "events", "p50_ms", "p99_ms", "target_ms", "cpu_ms", "full_p50_ms", "full_p99_ms",
		"rebuild_ms", "rebuild_cpu_ms", "heap_mb", "compute_ms", "response_kb", "full_response_kb", "csv_ms", "csv_rows", "csv_sums_equal")
	b, err := ParseBenchLine(out.String())
	if err != nil {
		t.Fatal(err)
	}
	if b.Fields["csv_sums_equal"] != 1 || b.Fields["csv_rows"] < 1 {
		t.Errorf("%s: every CSV table's scans must add up to the API's", out.String())
	}
	if b.Fields["events"] != 3000 || b.Fields["response_kb"] >= b.Fields["full_response_kb"] {
		t.Errorf("%s: want 3000 events, and the summary smaller than the full report", out.String())
	}
}
