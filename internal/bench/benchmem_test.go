package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// benchChildEnv carries the arguments of a bench mem-child to this test
// binary, started by bench mem in floorgate's place.
const benchChildEnv = "FLOORGATE_TEST_BENCH_CHILD"

// TestMain runs the tests, or, started with benchChildEnv set, is bench
// mem's child process in floorgate's place.
func TestMain(m *testing.M) {
	raw := os.Getenv(benchChildEnv)
	if raw == "" {
		os.Exit(m.Run())
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := benchMemChildCommand(context.Background(), args, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// checkBenchLine parses the BENCH line in out and checks every field is a
// finite number.
func checkBenchLine(t *testing.T, out, kind string, fields ...string) {
	t.Helper()
	line := strings.TrimSpace(out)
	if !strings.HasPrefix(line, "BENCH "+kind+" ") || strings.Count(line, "\n") != 0 {
		t.Fatalf("output %q is not one BENCH %s line", out, kind)
	}
	b, err := ParseBenchLine(line)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		v, ok := b.Fields[f]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s=%v (present: %v) in %q", f, v, ok, line)
		}
	}
	for _, f := range b.Figures {
		if math.IsNaN(f.Ratio) || math.IsInf(f.Ratio, 0) {
			t.Errorf("%s ratio %v", f.Metric, f.Ratio)
		}
	}
}

func TestBenchMemSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	defer func(old func(...string) *exec.Cmd) { memChild = old }(memChild)
	memChild = func(args ...string) *exec.Cmd {
		raw, _ := json.Marshal(args)
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), benchChildEnv+"="+string(raw))
		return cmd
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := benchCommand(ctx, []string{"mem", "--pdas", "5", "--rate", "2", "--duration", "1s"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkBenchLine(t, out.String(), "mem", "pdas", "gateway_rss_mb", "bare_rss_mb", "gateway_per_pda_kb", "bare_per_conn_kb", "ratio")
}

func TestBenchDegradedSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three gateways")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := benchCommand(ctx, []string{"degraded", "--pdas", "5", "--duration", "1s", "--reps", "1"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	checkBenchLine(t, out.String(), "degraded", "healthy_p99_ms", "broker_down_p99_ms", "printer_faulted_p99_ms", "broker_ratio", "printer_ratio")
}
