package web

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Gauges are the values /metrics reads at every scrape.
type Gauges struct {
	OutboxDepth   int
	OldestUnsentS float64
	DeadLetters   int
	Upstream      bool
	// Broker is the broker the upstream link is on now ("" when down):
	// with a cluster, which node.
	Broker  string
	LastSeq uint64
	// Leaf is the embedded broker's link to the central cluster; nil
	// when it joins none.
	Leaf *LeafGauge
	// Printers maps printer id → state (ready, paper out, …).
	Printers map[string]string
	// Devices lists every device with its kind and state (connected,
	// disconnected, disabled; a scanner's supervisor status).
	Devices []DeviceGauge
	// StoreBytes is the database file's size, StoreLimitBytes the most it
	// may grow to; StoreFull is set while writes fail for lack of room.
	StoreBytes, StoreLimitBytes int64
	StoreFull                   bool
	// StationsWithoutPrinter counts the pack stations, configured or in
	// use, that no printer serves: their waybills cannot print.
	StationsWithoutPrinter int
	// Parcels counts the presale parcels on the shelf by status:
	// packed_held (waiting for the order's release) and released (the
	// waybill printed, not shipped yet).
	Parcels map[string]int
}

// LeafGauge is a leaf gateway's link to the central cluster.
type LeafGauge struct {
	Connected      bool
	Remote, Domain string
	// AwaitingCentral counts events the site's broker stored that the
	// central stream has not been seen to hold; Confirmed those it did;
	// Nudges the times its leader was asked to step down.
	AwaitingCentral, Confirmed, Nudges uint64
}

// DeviceGauge is one device's state for /metrics.
type DeviceGauge struct {
	ID, Kind, State string
}

// Metrics is floorgate's Prometheus exposition: verdicts by code and their
// latency, counted as they happen, and the outbox, printers, devices, waves
// and carts, read at each scrape. It is the only user of the Prometheus
// client.
type Metrics struct {
	reg      *prometheus.Registry
	verdicts *prometheus.CounterVec
	latency  prometheus.Histogram
	// floor is where the waves and carts are read; nil until the status
	// page's server, which has the store, is made (New).
	floor atomic.Pointer[floorSource]
}

// floor is what the wave and cart gauges read at a scrape: a *store.DB.
type floor interface {
	Waves() []floorgate.Wave
	Carts() (store.CartsView, error)
	SLA(now time.Time) []floorgate.SLAStatus
	ExceptionGauges() store.ExceptionGauges
}

var _ floor = (*store.DB)(nil)

// floorSource is a floor and the clock its cut-offs are counted down on.
type floorSource struct {
	floor floor
	clock floorgate.Clock
}

// NewMetrics returns the metrics; read is called at every scrape.
func NewMetrics(read func() Gauges) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.verdicts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "floorgate_scan_verdicts_total",
		Help: "Scan verdicts given, by verdict code and the kind of device (pda, scanner).",
	}, []string{"code", "source"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "floorgate_verdict_latency_seconds",
		Help:    "Time from a PDA scan's arrival to its verdict being sent, after the commit.",
		Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2},
	})
	m.reg.MustRegister(m.verdicts, m.latency, gauges{read}, floorGauges{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Verdict counts a verdict from a source ("pda" or "scanner"); took is
// observed for PDA scans.
func (m *Metrics) Verdict(v floorgate.Verdict, source string, took time.Duration) {
	m.verdicts.WithLabelValues(string(v.Code), source).Inc()
	if source == "pda" {
		m.latency.Observe(took.Seconds())
	}
}

// readFloor has the wave and cart gauges read from f, their cut-offs
// counted down on clock.
func (m *Metrics) readFloor(f floor, clock floorgate.Clock) {
	m.floor.Store(&floorSource{floor: f, clock: clock})
}

// Handler serves the exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

var (
	descOutbox   = prometheus.NewDesc("floorgate_outbox_depth", "Events waiting to go upstream.", nil, nil)
	descOldest   = prometheus.NewDesc("floorgate_outbox_oldest_unsent_seconds", "Age of the oldest event not yet acknowledged upstream.", nil, nil)
	descDead     = prometheus.NewDesc("floorgate_dead_letters", "Events the broker would not take, waiting for a retry.", nil, nil)
	descUp       = prometheus.NewDesc("floorgate_upstream_connected", "1 when the MQTT link to the ERP is up.", nil, nil)
	descSeq      = prometheus.NewDesc("floorgate_journal_last_seq", "Sequence number of the last event journalled.", nil, nil)
	descPrinter  = prometheus.NewDesc("floorgate_printer_state", "1 for each printer's current state.", []string{"printer", "state"}, nil)
	descDevice   = prometheus.NewDesc("floorgate_device_state", "1 for each device's current state.", []string{"device", "kind", "state"}, nil)
	descStore    = prometheus.NewDesc("floorgate_store_bytes", "Size of the database file.", nil, nil)
	descLimit    = prometheus.NewDesc("floorgate_store_limit_bytes", "Most the database file may grow to (store.max_size_mb).", nil, nil)
	descFull     = prometheus.NewDesc("floorgate_store_full", "1 while the store refuses writes: its file reached the limit or the disk is full.", nil, nil)
	descNoPrint  = prometheus.NewDesc("floorgate_stations_without_printer", "Pack stations, configured or in use, that no printer serves: their waybills cannot print.", nil, nil)
	descParcels  = prometheus.NewDesc("floorgate_parcels", "Presale parcels on the shelf, by status: packed_held (waiting for the order's release), released (waybill printed, not shipped).", []string{"status"}, nil)
	descBroker   = prometheus.NewDesc("floorgate_upstream_broker_info", "1 for the broker (with a cluster, the node) the upstream link is on; none while it is down.", []string{"broker"}, nil)
	descLeafUp   = prometheus.NewDesc("floorgate_leaf_connected", "1 when the embedded broker's leaf link to the central cluster is up (only on a leaf gateway).", []string{"domain", "remote"}, nil)
	descLeafWait = prometheus.NewDesc("floorgate_leaf_awaiting_central", "Events the site's broker stored that the central stream has not been seen to hold yet (only on a leaf gateway).", nil, nil)
	descLeafConf = prometheus.NewDesc("floorgate_leaf_confirmed_total", "Events taken out of the outbox because the central stream holds them (only on a leaf gateway).", nil, nil)
	descLeafNudg = prometheus.NewDesc("floorgate_leaf_source_nudges_total", "Times the central stream's leader was asked to step down because its source of this site was stalled (only on a leaf gateway).", nil, nil)
	gaugeDescs   = []*prometheus.Desc{descOutbox, descOldest, descDead, descUp, descSeq, descPrinter, descDevice, descStore, descLimit, descFull, descNoPrint, descParcels,
		descBroker, descLeafUp, descLeafWait, descLeafConf, descLeafNudg}
	boolToFloat  = map[bool]float64{false: 0, true: 1}
	gaugeMetrics = prometheus.GaugeValue
)

// gauges is a collector reading current values at scrape time.
type gauges struct{ read func() Gauges }

func (g gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range gaugeDescs {
		ch <- d
	}
}

func (g gauges) Collect(ch chan<- prometheus.Metric) {
	v := g.read()
	ch <- prometheus.MustNewConstMetric(descOutbox, gaugeMetrics, float64(v.OutboxDepth))
	ch <- prometheus.MustNewConstMetric(descOldest, gaugeMetrics, v.OldestUnsentS)
	ch <- prometheus.MustNewConstMetric(descDead, gaugeMetrics, float64(v.DeadLetters))
	ch <- prometheus.MustNewConstMetric(descUp, gaugeMetrics, boolToFloat[v.Upstream])
	ch <- prometheus.MustNewConstMetric(descSeq, gaugeMetrics, float64(v.LastSeq))
	ch <- prometheus.MustNewConstMetric(descStore, gaugeMetrics, float64(v.StoreBytes))
	ch <- prometheus.MustNewConstMetric(descLimit, gaugeMetrics, float64(v.StoreLimitBytes))
	ch <- prometheus.MustNewConstMetric(descFull, gaugeMetrics, boolToFloat[v.StoreFull])
	ch <- prometheus.MustNewConstMetric(descNoPrint, gaugeMetrics, float64(v.StationsWithoutPrinter))
	for id, st := range v.Printers {
		ch <- prometheus.MustNewConstMetric(descPrinter, gaugeMetrics, 1, id, st)
	}
	if v.Broker != "" {
		ch <- prometheus.MustNewConstMetric(descBroker, gaugeMetrics, 1, v.Broker)
	}
	if l := v.Leaf; l != nil {
		ch <- prometheus.MustNewConstMetric(descLeafUp, gaugeMetrics, boolToFloat[l.Connected], l.Domain, l.Remote)
		ch <- prometheus.MustNewConstMetric(descLeafWait, gaugeMetrics, float64(l.AwaitingCentral))
		ch <- prometheus.MustNewConstMetric(descLeafConf, prometheus.CounterValue, float64(l.Confirmed))
		ch <- prometheus.MustNewConstMetric(descLeafNudg, prometheus.CounterValue, float64(l.Nudges))
	}
	for status, n := range v.Parcels {
		ch <- prometheus.MustNewConstMetric(descParcels, gaugeMetrics, float64(n), status)
	}
	for _, d := range v.Devices {
		ch <- prometheus.MustNewConstMetric(descDevice, gaugeMetrics, 1, d.ID, d.Kind, d.State)
	}
}

// The floor's gauges: the open waves and the carts. A wave's status label
// is held or released; completed waves are not counted.
var (
	descWaves     = prometheus.NewDesc("floorgate_waves", "Open waves by status: held (waiting for their release) or released (being picked).", []string{"status"}, nil)
	descWaveTasks = prometheus.NewDesc("floorgate_wave_tasks_open", "Tasks neither picked nor cancelled in the open waves, by the wave's status.", []string{"status"}, nil)
	descCutOff    = prometheus.NewDesc("floorgate_wave_next_cutoff_seconds", "Seconds until the earliest carrier cut-off of an open wave, negative once it has passed; absent while no open wave has a cut-off.", nil, nil)
	descCarts     = prometheus.NewDesc("floorgate_carts_running", "Carts being picked.", nil, nil)
	descTotesHeld = prometheus.NewDesc("floorgate_totes_held", "Totes holding an order, on a cart or waiting at packing.", nil, nil)
	descAtPacking = prometheus.NewDesc("floorgate_totes_at_packing", "Totes whose order is picked and waits to be packed.", nil, nil)
	descSLA       = prometheus.NewDesc("floorgate_sla_orders", "Open orders at risk of missing a standard (state at_risk) or past it (breached), by rule: outbound, release_to_ship, cutoff, short_pick.", []string{"rule", "state"}, nil)
	descExcOpen   = prometheus.NewDesc("floorgate_exceptions_open", "Exception cases raised on the floor and not yet resolved by a supervisor, by reason.", []string{"reason"}, nil)
	descExcWait   = prometheus.NewDesc("floorgate_exceptions_waiting_upstream", "Exception cases whose exception.raised upstream has not acknowledged yet.", nil, nil)
	descExcOldest = prometheus.NewDesc("floorgate_exceptions_oldest_open_seconds", "Age of the oldest open exception case; 0 with none.", nil, nil)
	floorDescs    = []*prometheus.Desc{descWaves, descWaveTasks, descCutOff, descCarts, descTotesHeld, descAtPacking, descSLA,
		descExcOpen, descExcWait, descExcOldest}
)

// floorGauges is a collector reading the waves and carts at scrape time.
type floorGauges struct{ m *Metrics }

func (g floorGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range floorDescs {
		ch <- d
	}
}

func (g floorGauges) Collect(ch chan<- prometheus.Metric) {
	src := g.m.floor.Load()
	if src == nil {
		return
	}
	waves := map[floorgate.WaveStatus]int{floorgate.WaveHeld: 0, floorgate.WaveReleased: 0}
	open := map[floorgate.WaveStatus]int{floorgate.WaveHeld: 0, floorgate.WaveReleased: 0}
	var next time.Time
	for _, wv := range src.floor.Waves() {
		if wv.Status != floorgate.WaveHeld && wv.Status != floorgate.WaveReleased {
			continue
		}
		waves[wv.Status]++
		open[wv.Status] += wv.Open()
		if !wv.CutOff.IsZero() && (next.IsZero() || wv.CutOff.Before(next)) {
			next = wv.CutOff
		}
	}
	for st, n := range waves {
		ch <- prometheus.MustNewConstMetric(descWaves, gaugeMetrics, float64(n), string(st))
		ch <- prometheus.MustNewConstMetric(descWaveTasks, gaugeMetrics, float64(open[st]), string(st))
	}
	if !next.IsZero() {
		ch <- prometheus.MustNewConstMetric(descCutOff, gaugeMetrics, next.Sub(src.clock.Now()).Seconds())
	}
	sla := map[[2]string]int{}
	for _, r := range floorgate.SLARules() {
		for _, st := range []floorgate.SLAState{floorgate.SLAAtRisk, floorgate.SLABreached} {
			sla[[2]string{string(r), string(st)}] = 0
		}
	}
	for _, s := range src.floor.SLA(src.clock.Now()) {
		sla[[2]string{string(s.Rule), string(s.State)}]++
	}
	for k, n := range sla {
		ch <- prometheus.MustNewConstMetric(descSLA, gaugeMetrics, float64(n), k[0], k[1])
	}
	eg := src.floor.ExceptionGauges()
	for r, n := range eg.Open {
		ch <- prometheus.MustNewConstMetric(descExcOpen, gaugeMetrics, float64(n), string(r))
	}
	ch <- prometheus.MustNewConstMetric(descExcWait, gaugeMetrics, float64(eg.WaitingUpstream))
	oldest := 0.0
	if !eg.OldestOpen.IsZero() {
		oldest = src.clock.Now().Sub(eg.OldestOpen).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descExcOldest, gaugeMetrics, oldest)
	// A store that cannot be read leaves the cart gauges out of this
	// scrape rather than failing the whole of it.
	if carts, err := src.floor.Carts(); err == nil {
		ch <- prometheus.MustNewConstMetric(descCarts, gaugeMetrics, float64(len(carts.Running)))
		ch <- prometheus.MustNewConstMetric(descTotesHeld, gaugeMetrics, float64(carts.TotesHeld))
		ch <- prometheus.MustNewConstMetric(descAtPacking, gaugeMetrics, float64(carts.AtPacking))
	}
}
