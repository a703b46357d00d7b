package bench

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var sampleBenchOutput = `bench: progress lines are skipped
BENCH scan pdas=1 verdicts_per_s=900 p50_ms=1.000 p99_ms=2.500 raw_commits_per_s=1000 raw_p50_ms=0.900 raw_p99_ms=2.000 ratio=0.90
BENCH scan pdas=64 verdicts_per_s=5000 p50_ms=10.000 p99_ms=25.000 raw_commits_per_s=6000 raw_p50_ms=9.000 raw_p99_ms=20.000 ratio=0.83
BENCH mem pdas=500 gateway_rss_mb=60.0 bare_rss_mb=30.0 gateway_per_pda_kb=90.0 bare_per_conn_kb=40.0 ratio=2.25 gateway_base_mb=20.0 bare_base_mb=10.0
BENCH degraded pdas=64 healthy_p99_ms=10.000 broker_down_p99_ms=11.000 printer_faulted_p99_ms=13.000 broker_ratio=1.10 printer_ratio=1.30
`

func TestBenchReport(t *testing.T) {
	benches, err := ReadBenchLines(strings.NewReader(sampleBenchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(benches) != 4 {
		t.Fatalf("%d benches, want 4", len(benches))
	}
	rep := Report{Machine: thisMachine(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)), Benches: benches}
	dir := t.TempDir()
	if err := WriteReport(dir, rep); err != nil {
		t.Fatal(err)
	}

	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{
		"| scan pdas=64 | verdict p99 | 25.0 ms | raw commit p99 | 20.0 ms | 1.25 | — |  |",
		"| mem pdas=500 | RSS per PDA | 90.0 KiB | RSS per bare WebSocket | 40.0 KiB | 2.25 | ≤ 2.00 | ❌ FAIL |",
		"| degraded pdas=64 | verdict p99, broker down | 11.0 ms | verdict p99, healthy | 10.0 ms | 1.10 | ≤ 1.20 | ✅ pass |",
		"| degraded pdas=64 | verdict p99, printer faulted | 13.0 ms | verdict p99, healthy | 10.0 ms | 1.30 | ≤ 1.20 | ❌ FAIL |",
		"![verdict latency against the number of PDAs](latency.png)",
	} {
		if !bytes.Contains(md, []byte(row)) {
			t.Errorf("report.md lacks %q:\n%s", row, md)
		}
	}

	raw, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rep) {
		t.Errorf("report.json does not round-trip:\n got %+v\nwant %+v", back, rep)
	}
	if back.Machine.CPUs < 1 || back.Machine.GoVersion == "" {
		t.Errorf("machine %+v", back.Machine)
	}

	f, err := os.Open(filepath.Join(dir, "latency.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != chartW || b.Dy() != chartH {
		t.Errorf("chart is %v, want %dx%d", b, chartW, chartH)
	}
}

// TestBenchReportKPI: the KPI bench's bound is absolute, so its figure is
// judged against the target_ms the line carries.
func TestBenchReportKPI(t *testing.T) {
	b, err := ParseBenchLine("BENCH kpi events=1000000 days=31 people=48 p50_ms=20.0 p99_ms=40.0 target_ms=50 cpu_ms=18.0 " +
		"full_p50_ms=600.0 full_p99_ms=900.0 rebuild_ms=9000 rebuild_cpu_ms=8000 heap_mb=90 compute_ms=12000 response_kb=800 full_response_kb=29000")
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "kpi events=1000000" || len(b.Figures) != 4 {
		t.Fatalf("%s: %+v", b.Name, b.Figures)
	}
	if f := b.Figures[0]; f.Ratio != 0.8 || f.Pass == nil || !*f.Pass {
		t.Errorf("p99 40 ms against 50 ms: %+v", f)
	}
	md := string(ReportMarkdown(Report{Benches: []BenchReport{b}}))
	if row := "| kpi events=1000000 | 31-day report p99, people_hours=false | 40.0 ms | the bound | 50.0 ms | 0.80 | ≤ 1.00 | ✅ pass |"; !strings.Contains(md, row) {
		t.Errorf("report.md lacks %q:\n%s", row, md)
	}
}

func TestParseBenchLineRejects(t *testing.T) {
	for _, tc := range []struct{ name, line string }{
		{"not a bench line", "hello"},
		{"not k=v", "BENCH scan pdas"},
		{"not a number", "BENCH scan pdas=x"},
		{"missing baseline", "BENCH mem pdas=5 gateway_per_pda_kb=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseBenchLine(tc.line); err == nil {
				t.Errorf("%q parsed", tc.line)
			}
		})
	}
}

// TestPeerReport: bench peer's lines — the comparison at each number of
// PDAs, the instructions per verdict, the kill -9 lines with the system's
// name as a word — become report.md's peer table.
func TestPeerReport(t *testing.T) {
	in := strings.Join([]string{
		"BENCH peer pdas=64 tls=1 floorgate_per_s=2000 floorgate_p50_ms=20 floorgate_p99_ms=60 peer_per_s=4000 peer_p50_ms=10 peer_p99_ms=30 ratio=0.50",
		"BENCH peer pdas=64 tls=0 floorgate_per_s=3000 floorgate_p50_ms=15 floorgate_p99_ms=40 peer_per_s=4000 peer_p50_ms=10 peer_p99_ms=30 ratio=0.75",
		"BENCH peer-instructions pdas=64 tls=1 gogc=100 instructions_per_verdict=250000 verdicts=900",
		"BENCH peer-kill system=floorgate pdas=64 acked=4000 lost=0",
		"BENCH peer-kill system=nodered pdas=64 acked=5000 lost=5000",
		"BENCH peer pdas=64 tls=0 batch=100 floorgate_per_s=5000 floorgate_p50_ms=15 floorgate_p99_ms=40 peer_per_s=4000 peer_p50_ms=10 peer_p99_ms=30 ratio=1.25",
		"BENCH peer-latency pdas=1 tls=0 floorgate_p50_ms=0.6 raw_commit_p50_ms=0.4 over_ms=0.2 budget_ms=0.25",
		"BENCH peer-cpu system=floorgate pdas=64 tls=0 system_us=150.2 loadgen_us=40 mosquitto_us=30 busy_us=230 idle_us=40",
		"BENCH peer-cpu system=nodered pdas=64 tls=0 measured=0",
	}, "\n")
	benches, err := ReadBenchLines(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if b := benches[3]; b.Name != "peer-kill system=floorgate pdas=64" || b.Labels["system"] != "floorgate" || b.Fields["lost"] != 0 {
		t.Errorf("kill line: %+v", b)
	}
	if f := benches[0].Figures[0]; f.Metric != "verdicts/s" || f.Ratio != 0.5 {
		t.Errorf("peer figure: %+v", f)
	}
	md := string(ReportMarkdown(Report{Benches: benches}))
	for _, row := range []string{
		"| 64 | on | 2000 (60.0 ms) | 4000 (30.0 ms) | 0.50 | 250000 |",
		"| 64 | off | 3000 (40.0 ms) | 4000 (30.0 ms) | 0.75 | — |",
		"| nodered | 64 | 5000 | 5000 |",
		"| 64 | off, 100 events a message | 5000 (40.0 ms) | 4000 (30.0 ms) | 1.25 | — |",
		"| off | 0.600 ms | 0.400 ms | 0.200 ms | 0.25 ms |",
		"| floorgate | 64 | off | 150 | 40 | 30 | 230 | 40 |",
	} {
		if !strings.Contains(md, row) {
			t.Errorf("report.md lacks %q:\n%s", row, md)
		}
	}
	if _, err := ParseBenchLine("BENCH peer-kill system=x pdas=y"); err == nil {
		t.Error("a word where a number belongs parsed")
	}
}
