package web

import (
	"net/http"
	"time"

	"github.com/floorgate/floorgate"
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
	LastSeq       uint64
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
}

// DeviceGauge is one device's state for /metrics.
type DeviceGauge struct {
	ID, Kind, State string
}

// Metrics is floorgate's Prometheus exposition: verdicts by code and their
// latency, counted as they happen, and the outbox, printers and devices,
// read at each scrape. It is the only user of the Prometheus client.
type Metrics struct {
	reg      *prometheus.Registry
	verdicts *prometheus.CounterVec
	latency  prometheus.Histogram
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
	m.reg.MustRegister(m.verdicts, m.latency, gauges{read},
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
	gaugeDescs   = []*prometheus.Desc{descOutbox, descOldest, descDead, descUp, descSeq, descPrinter, descDevice, descStore, descLimit, descFull, descNoPrint}
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
	for _, d := range v.Devices {
		ch <- prometheus.MustNewConstMetric(descDevice, gaugeMetrics, 1, d.ID, d.Kind, d.State)
	}
}
