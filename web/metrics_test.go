package web

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/floorgate/floorgate"
)

// scrape reads /metrics through c, with a read API token as a Prometheus
// scraper would, and returns each sample line's value by its name and
// labels as printed (`floorgate_waves{status="held"}`).
func scrape(t *testing.T, sv *served, token string) map[string]float64 {
	t.Helper()
	status, body := do(t, sv.tcp, "GET", "/metrics", "", map[string]string{"Authorization": "Bearer " + token})
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", status, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("/metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestWaveAndCartGauges: /metrics, over the real handler table with the
// server's own Metrics, counts the open waves and their open tasks by
// status, the seconds to the earliest cut-off of an open wave (negative
// once past, absent with none), the carts being picked and the totes held
// and waiting at packing — each read from the store at the scrape. A held
// wave (cut-off in 2 h), a released wave of cart orders (cut-off in 45 min)
// on a cart with one tote bound; then its cut-off passes; then the cart is
// done, the released wave completes and the held wave's cut-off is the
// earliest again.
func TestWaveAndCartGauges(t *testing.T) {
	ts := newTestServer(t, autoEnrol)
	ts.s = New(Options{DB: ts.db, Clock: ts.clock, Metrics: NewMetrics(func() Gauges { return Gauges{} })})
	sv := serveServer(t, ts)
	_, body := do(t, sv.socket, "POST", "/api/v1/tokens", `{"name":"prometheus","scope":"read"}`, map[string]string{"Content-Type": "application/json"})
	var tok struct{ Token string }
	decode(t, body, &tok)

	want := func(step string, got map[string]float64, values map[string]float64, absent ...string) {
		t.Helper()
		for name, v := range values {
			if g, ok := got[name]; !ok || g != v {
				t.Errorf("%s: %s = %v (there: %v), want %v", step, name, g, ok, v)
			}
		}
		for _, name := range absent {
			if g, ok := got[name]; ok {
				t.Errorf("%s: %s = %v, want it absent", step, name, g)
			}
		}
	}
	const (
		held      = `floorgate_waves{status="held"}`
		released  = `floorgate_waves{status="released"}`
		heldOpen  = `floorgate_wave_tasks_open{status="held"}`
		relOpen   = `floorgate_wave_tasks_open{status="released"}`
		cutoff    = `floorgate_wave_next_cutoff_seconds`
		carts     = `floorgate_carts_running`
		totes     = `floorgate_totes_held`
		atPacking = `floorgate_totes_at_packing`
	)
	want("an empty floor", scrape(t, sv, tok.Token), map[string]float64{held: 0, released: 0, heldOpen: 0, relOpen: 0,
		carts: 0, totes: 0, atPacking: 0}, cutoff)

	cartFloor(t, ts)
	later, soon := ts.clock.Now().Add(2*time.Hour), ts.clock.Now().Add(45*time.Minute)
	declareWave(t, ts, "LATER", later)
	cartOrders(t, ts, "PEAK", `{"id":"PEAK","hold":true,"priority":5,"cutoff":"`+soon.Format(time.RFC3339)+`"}`)
	if err := ts.db.ReleaseWave(context.Background(), "PEAK", floorgate.ReleasedByERP); err != nil {
		t.Fatal(err)
	}
	p := pickerOn(t, ts, "pda-1")
	p.scan("CART-1", floorgate.CodeCartStarted)
	p.scan("TOTE-1", floorgate.CodeToteBound)
	want("a held wave, a released one on a cart with a tote bound", scrape(t, sv, tok.Token), map[string]float64{
		held: 1, released: 1, heldOpen: 2, relOpen: 2, cutoff: soon.Sub(ts.clock.Now()).Seconds(),
		carts: 1, totes: 1, atPacking: 0})

	ts.clock.Add(time.Hour)
	if got := scrape(t, sv, tok.Token)[cutoff]; got >= 0 || got != soon.Sub(ts.clock.Now()).Seconds() {
		t.Errorf("the cut-off past: %s = %v; want %v", cutoff, got, soon.Sub(ts.clock.Now()).Seconds())
	}

	p.scan("TOTE-2", floorgate.CodeCartReady)
	p.pickStop("A-01", "6901234567892", false)
	p.pickStop("A-02", "ITEM-2", true)
	if wv, _ := ts.db.Wave("PEAK"); wv.Status != floorgate.WaveCompleted {
		t.Fatalf("PEAK after its cart: %+v", wv)
	}
	want("the cart done", scrape(t, sv, tok.Token), map[string]float64{held: 1, released: 0, heldOpen: 2, relOpen: 0,
		cutoff: later.Sub(ts.clock.Now()).Seconds(), carts: 0, totes: 2, atPacking: 2})
}

// TestEveryMetricIsDocumented keeps docs/web-api.md's "For monitoring"
// honest: every metric /metrics exposes by floorgate's own name is named
// there.
func TestEveryMetricIsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/web-api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	m := NewMetrics(func() Gauges { return Gauges{} })
	ch := make(chan *prometheus.Desc, 100)
	for _, c := range []prometheus.Collector{m.verdicts, m.latency, gauges{}, floorGauges{m}} {
		c.Describe(ch)
	}
	close(ch)
	name := regexp.MustCompile(`fqName: "([^"]+)"`)
	n := 0
	for d := range ch {
		sub := name.FindStringSubmatch(d.String())
		if sub == nil {
			t.Fatalf("no name in %s", d)
		}
		n++
		if !strings.Contains(doc, "`"+sub[1]) {
			t.Errorf("docs/web-api.md does not name the metric %s", sub[1])
		}
	}
	if n < 19 {
		t.Fatalf("only %d metrics described", n)
	}
}
