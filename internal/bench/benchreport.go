package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Report is what bench report writes to report.json: the machine, and every
// bench's figures beside the baseline measured in the same run.
type Report struct {
	Machine Machine       `json:"machine"`
	Benches []BenchReport `json:"benches"`
}

// Machine is where the benches ran.
type Machine struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel"`
	Generated string `json:"generated"`
}

// BenchReport is one BENCH line: its raw fields and the figures drawn from
// them.
type BenchReport struct {
	Name   string             `json:"name"` // "scan pdas=64"
	Line   string             `json:"line"`
	Fields map[string]float64 `json:"fields"`
	// Labels are the fields that are words (benchLabelKeys).
	Labels  map[string]string `json:"labels,omitempty"`
	Figures []Figure          `json:"figures"`
}

// Figure is one measured value beside its same-run baseline.
type Figure struct {
	Metric   string  `json:"metric"`
	Value    float64 `json:"value"`
	Baseline string  `json:"baseline"`
	Base     float64 `json:"baseline_value"`
	Unit     string  `json:"unit"`
	Ratio    float64 `json:"ratio"`
	// Target is the most the ratio may be; zero: no target.
	Target float64 `json:"target,omitempty"`
	// Pass is nil when there is no target.
	Pass *bool `json:"pass,omitempty"`
}

// figureSpec draws a figure from a BENCH line's fields.
type figureSpec struct {
	metric, value, baseline, base, unit string
	target                              float64
}

// benchFigures are the figures of each bench, by its kind.
var benchFigures = map[string][]figureSpec{
	"scan": {
		{"verdicts/s", "verdicts_per_s", "raw bbolt commits/s", "raw_commits_per_s", "/s", 0},
		{"verdict p50", "p50_ms", "raw commit p50", "raw_p50_ms", "ms", 0},
		{"verdict p99", "p99_ms", "raw commit p99", "raw_p99_ms", "ms", 0},
	},
	"sync":  {{"outbox drain/s", "drain_per_s", "plain QoS 1 publishes/s", "raw_per_s", "/s", 0}},
	"print": {{"labels/s", "labels_per_s", "printers' limit/s", "limit_per_s", "/s", 0}},
	"mem":   {{"RSS per PDA", "gateway_per_pda_kb", "RSS per bare WebSocket", "bare_per_conn_kb", "KiB", 2}},
	"degraded": {
		{"verdict p99, broker down", "broker_down_p99_ms", "verdict p99, healthy", "healthy_p99_ms", "ms", 1.2},
		{"verdict p99, printer faulted", "printer_faulted_p99_ms", "verdict p99, healthy", "healthy_p99_ms", "ms", 1.2},
	},
	// The KPIs' bound is absolute (a 31-day report at a million
	// events within 50 ms): its "baseline" is the bound itself.
	"kpi": {
		{"31-day report p99, people_hours=false", "p99_ms", "the bound", "target_ms", "ms", 1},
		{"31-day report p99, every person's hours", "full_p99_ms", "the bound", "target_ms", "ms", 0},
		{"31-day report p50, people_hours=false", "p50_ms", "Compute over the whole journal", "compute_ms", "ms", 0},
		{"rollup built from the journal at start", "rebuild_ms", "Compute over the whole journal", "compute_ms", "ms", 0},
	},
	// A wave's release answers within an absolute bound; a put (tote) scan
	// is a verdict like an item scan and should cost about as much.
	"cluster": {
		{"wave release, every order", "release_ms", "the bound", "target_ms", "ms", 1},
		{"put verdict p99", "put_p99_ms", "item verdict p99 on the carts", "item_p99_ms", "ms", 1.2},
		{"put verdict p50", "put_p50_ms", "item verdict p50 on the carts", "item_p50_ms", "ms", 0},
	},
	// The NATS backbone against one Mosquitto, the same gateways and
	// workers on each: a ratio above 1 is the backbone ahead. The
	// backlog's drain has an absolute bound.
	"backbone": {
		{"events/s, gateways to workers through the backbone", "events_per_s", "the same through one Mosquitto", "mosquitto_events_per_s", "/s", 0},
		{"backlog drain after a WAN outage", "drain_s", "the bound", "drain_target_s", "s", 1},
	},
	// The peer is a Node-RED scan loop driven by the same load generator:
	// a ratio above 1 is floorgate ahead.
	"peer": {
		{"verdicts/s", "floorgate_per_s", "Node-RED verdicts/s", "peer_per_s", "/s", 0},
		{"verdict p99", "floorgate_p99_ms", "Node-RED verdict p99", "peer_p99_ms", "ms", 0},
	},
}

// benchOptionalFigures are figures of a part a bench may skip: drawn when
// the line has their fields.
var benchOptionalFigures = map[string][]figureSpec{
	// bench backbone --leaf=false has no leaf part.
	"backbone": {{"backlog drain after a WAN outage, leaf mode", "leaf_drain_s", "the bound", "drain_target_s", "s", 1}},
}

// benchLabelKeys are the fields of a bench whose values are words, not
// numbers: "BENCH peer-kill system=nodered …".
var benchLabelKeys = map[string][]string{"peer-kill": {"system"}, "peer-cpu": {"system"}, "peer-instructions": {"gogc"}}

// benchNameKeys are the fields that tell runs of one bench apart.
var benchNameKeys = map[string][]string{"scan": {"pdas"}, "sync": {"events"}, "print": {"labels", "printers"}, "mem": {"pdas"}, "degraded": {"pdas"},
	"kpi": {"events"}, "peer": {"pdas", "tls", "batch"}, "peer-kill": {"system", "pdas"}, "peer-instructions": {"pdas", "tls"},
	"peer-latency": {"pdas", "tls"}, "peer-cpu": {"system", "pdas", "tls", "batch"}, "cluster": {"pdas", "orders"},
	"backbone": {"gateways", "workers", "backlog", "batch"}}

// ParseBenchLine reads a "BENCH kind k=v …" line.
func ParseBenchLine(line string) (BenchReport, error) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "BENCH" {
		return BenchReport{}, fmt.Errorf("parse bench line: %q is not a BENCH line", line)
	}
	kind := f[1]
	b := BenchReport{Line: line, Fields: map[string]float64{}}
	for _, kv := range f[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return b, fmt.Errorf("parse bench line: field %q is not k=v", kv)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil && slices.Contains(benchLabelKeys[kind], k) {
			if b.Labels == nil {
				b.Labels = map[string]string{}
			}
			b.Labels[k] = v
			continue
		}
		if err != nil {
			return b, fmt.Errorf("parse bench line: field %s: %w", k, err)
		}
		b.Fields[k] = x
	}
	name := []string{kind}
	for _, k := range benchNameKeys[kind] {
		if l, ok := b.Labels[k]; ok {
			name = append(name, k+"="+l)
			continue
		}
		if _, ok := b.Fields[k]; !ok && k == "batch" {
			continue // only a run with mqtt.batch_events says it
		}
		name = append(name, k+"="+strconv.FormatFloat(b.Fields[k], 'f', -1, 64))
	}
	b.Name = strings.Join(name, " ")
	for i, s := range append(slices.Clip(benchFigures[kind]), benchOptionalFigures[kind]...) {
		v, okv := b.Fields[s.value]
		base, okb := b.Fields[s.base]
		if !okv && i >= len(benchFigures[kind]) {
			continue
		}
		if !okv || !okb {
			return b, fmt.Errorf("parse bench line: %s needs %s and %s", kind, s.value, s.base)
		}
		fig := Figure{Metric: s.metric, Value: v, Baseline: s.baseline, Base: base, Unit: s.unit, Ratio: v / base, Target: s.target}
		if s.target > 0 {
			pass := fig.Ratio <= s.target
			fig.Pass = &pass
		}
		b.Figures = append(b.Figures, fig)
	}
	return b, nil
}

// Kind is the bench's kind: scan, sync, print, mem, degraded, kpi, peer,
// peer-kill or peer-instructions.
func (b BenchReport) Kind() string { k, _, _ := strings.Cut(b.Name, " "); return k }

// ReadBenchLines collects every BENCH line in r; other lines are skipped.
func ReadBenchLines(r io.Reader) ([]BenchReport, error) {
	var out []BenchReport
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "BENCH ") {
			continue
		}
		b, err := ParseBenchLine(sc.Text())
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read bench lines: %w", err)
	}
	return out, nil
}

// thisMachine describes the machine the report is written on.
func thisMachine(now time.Time) Machine {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Kernel: strings.TrimSpace(string(kernel)), Generated: now.UTC().Format(time.RFC3339)}
}

func benchReportCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "-", "file of the benches' output (their BENCH lines); - is stdin")
	out := fs.String("out", "bench", "directory for report.md, report.json and latency.png")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var r io.Reader = os.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("bench report: %w", err)
		}
		defer f.Close()
		r = f
	}
	benches, err := ReadBenchLines(r)
	if err != nil {
		return fmt.Errorf("bench report: %w", err)
	}
	if len(benches) == 0 {
		return errors.New("bench report: no BENCH lines")
	}
	rep := Report{Machine: thisMachine(time.Now()), Benches: benches}
	if err := WriteReport(*out, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench report: %s, %s, %s\n", filepath.Join(*out, "report.md"), filepath.Join(*out, "report.json"), filepath.Join(*out, "latency.png"))
	return nil
}

// WriteReport writes report.json, report.md and latency.png to dir.
func WriteReport(dir string, rep Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	var chart bytes.Buffer
	if err := png.Encode(&chart, LatencyChart(rep.Benches)); err != nil {
		return fmt.Errorf("write report: chart: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "latency.png"), chart.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), ReportMarkdown(rep), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// figNum formats a figure with three significant digits or more.
func figNum(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// ReportMarkdown is report.md: the machine, one table per bench kind with
// the absolute figures beside their ratios and targets, and the chart.
func ReportMarkdown(rep Report) []byte {
	var b bytes.Buffer
	m := rep.Machine
	fmt.Fprintf(&b, "# floorgate benchmarks\n\n%d CPUs, %s %s/%s, kernel %s, %s. Every ratio is to a baseline measured in the same run.\n",
		m.CPUs, m.GoVersion, m.OS, m.Arch, m.Kernel, m.Generated)
	titles := []struct{ kind, title string }{
		{"scan", "Scan: verdicts against raw bbolt commits"},
		{"degraded", "Degraded: verdict p99 with the broker down or a printer faulted, against healthy"},
		{"mem", "Memory: resident memory per PDA against a bare gorilla/websocket connection"},
		{"sync", "Sync: draining the outbox against a plain publish loop"},
		{"print", "Print: labels against the printers' limit"},
		{"kpi", "KPIs: 31-day reports from the hourly rollup against the 50 ms bound"},
		{"cluster", "Cluster picking: a wave of cart orders released against the 1 s bound, put verdicts against item verdicts"},
		{"backbone", "NATS backbone: gateways to ERP workers through a 3-node cluster against one Mosquitto, and a backlog's drain against its bound"},
	}
	for _, t := range titles {
		var rows []BenchReport
		for _, br := range rep.Benches {
			if br.Kind() == t.kind {
				rows = append(rows, br)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n\n| run | figure | value | baseline | baseline value | ratio | target | |\n|---|---|---:|---|---:|---:|---:|---|\n", t.title)
		for _, br := range rows {
			for _, f := range br.Figures {
				target, mark := "—", ""
				if f.Pass != nil {
					target, mark = "≤ "+figNum(f.Target), "✅ pass"
					if !*f.Pass {
						mark = "❌ FAIL"
					}
				}
				fmt.Fprintf(&b, "| %s | %s | %s %s | %s | %s %s | %.2f | %s | %s |\n",
					br.Name, f.Metric, figNum(f.Value), f.Unit, f.Baseline, figNum(f.Base), f.Unit, f.Ratio, target, mark)
			}
		}
		if t.kind == "scan" {
			b.WriteString("\n![verdict latency against the number of PDAs](latency.png)\n")
		}
	}
	peerMarkdown(&b, rep.Benches)
	b.WriteString("\n## Lines\n\n```\n")
	for _, br := range rep.Benches {
		b.WriteString(br.Line + "\n")
	}
	b.WriteString("```\n")
	return b.Bytes()
}

// Chart size.
const chartW, chartH = 800, 500

// chartSeries is one line of the chart.
type chartSeries struct {
	name  string
	field string
	color color.RGBA
	dash  bool
}

var latencySeries = []chartSeries{
	{"gateway verdict p50", "p50_ms", color.RGBA{0x1f, 0x77, 0xb4, 0xff}, false},
	{"gateway verdict p99", "p99_ms", color.RGBA{0xd6, 0x27, 0x28, 0xff}, false},
	{"raw bbolt commit p99", "raw_p99_ms", color.RGBA{0x70, 0x70, 0x70, 0xff}, true},
}

// LatencyChart draws verdict p50 and p99 (and the raw commit p99 measured
// beside them) against the number of PDAs of the scan benches, one
// evenly spaced tick per run, each point labelled with its value.
func LatencyChart(benches []BenchReport) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, chartW, chartH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	var scans []BenchReport
	for _, b := range benches {
		if b.Kind() == "scan" {
			scans = append(scans, b)
		}
	}
	slices.SortStableFunc(scans, func(a, b BenchReport) int {
		return int(a.Fields["pdas"] - b.Fields["pdas"])
	})
	const left, right, top, bottom = 80, 30, 50, 70
	x0, x1, y0, y1 := left, chartW-right, chartH-bottom, top // y0 is the axis, at the bottom
	black := color.RGBA{0, 0, 0, 0xff}
	grey := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	chartText(img, chartW/2-len("Verdict latency against connected PDAs")*7/2, 25, "Verdict latency against connected PDAs", black)
	ymax := 0.0
	for _, b := range scans {
		for _, s := range latencySeries {
			ymax = max(ymax, b.Fields[s.field])
		}
	}
	ymax *= 1.15 // room for the value labels above the highest point
	step := niceStep(ymax / 5)
	ytop := math.Max(step, math.Ceil(ymax/step)*step)
	yOf := func(v float64) int { return y0 - int(math.Round(v/ytop*float64(y0-y1))) }
	for v := 0.0; v <= ytop+step/2; v += step {
		y := yOf(v)
		chartHLine(img, x0, x1, y, grey)
		chartHLine(img, x0-5, x0, y, black)
		label := strconv.FormatFloat(v, 'f', decimals(step), 64)
		chartText(img, x0-10-len(label)*7, y+4, label, black)
	}
	chartText(img, 10, top-15, "ms", black)
	n := len(scans)
	xOf := func(i int) int {
		if n <= 1 {
			return (x0 + x1) / 2
		}
		pad := 40
		return x0 + pad + i*(x1-x0-2*pad)/(n-1)
	}
	for i, b := range scans {
		x := xOf(i)
		chartVLine(img, x, y0, y0+5, black)
		label := strconv.FormatFloat(b.Fields["pdas"], 'f', -1, 64)
		chartText(img, x-len(label)*7/2, y0+20, label, black)
	}
	chartText(img, (x0+x1)/2-len("PDAs connected, scanning flat out")*7/2, chartH-25, "PDAs connected, scanning flat out", black)
	chartHLine(img, x0, x1, y0, black)
	chartVLine(img, x0, y1, y0, black)
	for _, s := range latencySeries {
		for i, b := range scans {
			x, y := xOf(i), yOf(b.Fields[s.field])
			chartDot(img, x, y, 4, s.color)
			if i > 0 {
				chartLine(img, xOf(i-1), yOf(scans[i-1].Fields[s.field]), x, y, s.color, s.dash)
			}
		}
	}
	// Each point's value, stacked above the highest point of its run so
	// small values near the axis stay readable.
	for i, b := range scans {
		top := y0
		for _, s := range latencySeries {
			top = min(top, yOf(b.Fields[s.field]))
		}
		for j, s := range latencySeries {
			label := figNum(b.Fields[s.field])
			chartText(img, xOf(i)-len(label)*7/2, top-10-(len(latencySeries)-1-j)*14, label, s.color)
		}
	}
	// Legend, top left inside the plot.
	for i, s := range latencySeries {
		y := top + 15 + i*18
		chartLine(img, x0+15, y, x0+45, y, s.color, s.dash)
		chartText(img, x0+55, y+4, s.name, black)
	}
	return img
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// decimals is how many decimals a tick label of step needs.
func decimals(step float64) int {
	return max(0, int(-math.Floor(math.Log10(step))))
}

func chartText(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func chartHLine(img *image.RGBA, xa, xb, y int, c color.RGBA) {
	for x := xa; x <= xb; x++ {
		img.SetRGBA(x, y, c)
	}
}

func chartVLine(img *image.RGBA, x, ya, yb int, c color.RGBA) {
	for y := min(ya, yb); y <= max(ya, yb); y++ {
		img.SetRGBA(x, y, c)
	}
}

func chartDot(img *image.RGBA, cx, cy, r int, c color.RGBA) {
	for y := -r; y <= r; y++ {
		for x := -r; x <= r; x++ {
			if x*x+y*y <= r*r {
				img.SetRGBA(cx+x, cy+y, c)
			}
		}
	}
}

// chartLine draws a 2-pixel line, dashed every 8 pixels when dash is set.
func chartLine(img *image.RGBA, xa, ya, xb, yb int, c color.RGBA, dash bool) {
	steps := max(chartAbs(xb-xa), chartAbs(yb-ya), 1)
	for i := 0; i <= steps; i++ {
		if dash && (i/8)%2 == 1 {
			continue
		}
		x := xa + (xb-xa)*i/steps
		y := ya + (yb-ya)*i/steps
		img.SetRGBA(x, y, c)
		img.SetRGBA(x+1, y, c)
		img.SetRGBA(x, y+1, c)
		img.SetRGBA(x+1, y+1, c)
	}
}

func chartAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// peerTLS says how a bench peer line's floorgate ran: TLS on or off, and
// the events a message with mqtt.batch_events.
func peerTLS(f map[string]float64) string {
	tls := "off"
	if f["tls"] == 1 {
		tls = "on"
	}
	if f["batch"] > 0 {
		tls += fmt.Sprintf(", %.0f events a message", f["batch"])
	}
	return tls
}

// peerMarkdown writes bench peer's tables: floorgate against the Node-RED
// peer at each number of PDAs, the daemon's instructions per verdict beside
// the run it was counted at, and the kill -9 lines.
func peerMarkdown(b *bytes.Buffer, benches []BenchReport) {
	var peers, kills, lats, cpus []BenchReport
	instr := map[string]float64{}
	for _, br := range benches {
		switch br.Kind() {
		case "peer":
			peers = append(peers, br)
		case "peer-kill":
			kills = append(kills, br)
		case "peer-latency":
			lats = append(lats, br)
		case "peer-cpu":
			cpus = append(cpus, br)
		case "peer-instructions":
			instr[fmt.Sprintf("%v/%v", br.Fields["pdas"], br.Fields["tls"])] = br.Fields["instructions_per_verdict"]
		}
	}
	if len(peers) > 0 {
		b.WriteString("\n## Peer: floorgate as a site runs it against a Node-RED scan loop\n\n" +
			"The same load generator drives both; a ratio above 1 is floorgate ahead. Instructions per verdict are the daemon's, " +
			"counted where the bench could (perf stat, else callgrind), and do not move with the machine's noise.\n\n" +
			"| PDAs | floorgate TLS | floorgate verdicts/s (p99) | Node-RED verdicts/s (p99) | ratio | floorgate instructions/verdict |\n|---:|---|---:|---:|---:|---:|\n")
		for _, p := range peers {
			f := p.Fields
			tls, in := peerTLS(f), "—"
			if v, ok := instr[fmt.Sprintf("%v/%v", f["pdas"], f["tls"])]; ok && f["batch"] == 0 {
				in = figNum(v)
			}
			fmt.Fprintf(b, "| %.0f | %s | %s (%s ms) | %s (%s ms) | %.2f | %s |\n", f["pdas"], tls,
				figNum(f["floorgate_per_s"]), figNum(f["floorgate_p99_ms"]), figNum(f["peer_per_s"]), figNum(f["peer_p99_ms"]), f["ratio"], in)
		}
	}
	if len(lats) > 0 {
		b.WriteString("\n### One PDA: the latency budget\n\nA lone scan costs one commit and little else: floorgate's verdict p50 at 1 PDA against a raw bbolt commit's p50 " +
			"on the same file system in the same run, and the budget it must stay within.\n\n" +
			"| floorgate TLS | verdict p50 | raw commit p50 | over the commit | budget |\n|---|---:|---:|---:|---:|\n")
		for _, l := range lats {
			f := l.Fields
			fmt.Fprintf(b, "| %s | %.3f ms | %.3f ms | %.3f ms | %.2f ms |\n", peerTLS(f), f["floorgate_p50_ms"], f["raw_commit_p50_ms"], f["over_ms"], f["budget_ms"])
		}
	}
	if len(cpus) > 0 {
		b.WriteString("\n### Where the CPU goes, per verdict\n\nCPU time of each process over the measured window divided by the verdicts in it (from /proc), " +
			"and what the two-core machine had left idle.\n\n" +
			"| system | PDAs | floorgate TLS | system µs | load generator µs | Mosquitto µs | machine busy µs | idle µs |\n|---|---:|---|---:|---:|---:|---:|---:|\n")
		for _, c := range cpus {
			f := c.Fields
			if _, ok := f["system_us"]; !ok {
				continue // not measured
			}
			tls := "—"
			if c.Labels["system"] == "floorgate" {
				tls = peerTLS(f)
			} else if f["batch"] > 0 {
				tls = fmt.Sprintf("— (its run beside %.0f events a message)", f["batch"])
			}
			fmt.Fprintf(b, "| %s | %.0f | %s | %.0f | %.0f | %.0f | %.0f | %.0f |\n", c.Labels["system"], f["pdas"], tls,
				f["system_us"], f["loadgen_us"], f["mosquitto_us"], f["busy_us"], f["idle_us"])
		}
	}
	if len(kills) > 0 {
		b.WriteString("\n### kill -9 under load\n\nPicks the load generator was told were accepted, and how many of them the system no longer had after a kill -9 and a restart.\n\n" +
			"| system | PDAs | picks acknowledged | lost |\n|---|---:|---:|---:|\n")
		for _, k := range kills {
			fmt.Fprintf(b, "| %s | %.0f | %.0f | %.0f |\n", k.Labels["system"], k.Fields["pdas"], k.Fields["acked"], k.Fields["lost"])
		}
	}
}
