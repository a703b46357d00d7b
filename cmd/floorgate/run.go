package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/ws"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/web"
)

// Main is the daemon: configuration in, a running gateway out.
type Main struct {
	Config Config
	Demo   bool
	Clock  floorgate.Clock
	Log    *slog.Logger
	// Out receives the lines a person starting the daemon needs to read.
	Out io.Writer
	// HeaderTimeout is how long a client has to send a request's headers
	// (10 s when zero).
	HeaderTimeout time.Duration

	DB       *store.DB
	WS       *ws.Server
	Sync     *fgsync.Gateway
	Broker   *broker.Broker
	http     *http.Server
	listener net.Listener
	served   chan error

	stopSync context.CancelFunc
	synced   chan struct{}

	// Fingerprint is the SHA-256 fingerprint of the listener's TLS
	// certificate; empty when TLS is off.
	Fingerprint string

	Web     *web.Server
	Metrics *web.Metrics
	stopWeb context.CancelFunc
	webDone chan struct{}

	PrintWorker *fgprint.Worker
	printers    []*fgprint.Printer
	stopPrint   context.CancelFunc
	printed     chan struct{}

	scanners *scanners
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file (YAML); defaults apply without one")
	stateDir := fs.String("state-dir", "", "directory for the database (overrides the config)")
	listen := fs.String("listen", "", "address for PDAs and the web pages, e.g. :8080 (overrides the config)")
	demo := fs.Bool("demo", false, "seed a demo site on first start and let PDAs enrol themselves")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if *stateDir != "" {
		cfg.StateDir = *stateDir
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	m := &Main{Config: cfg, Demo: *demo, Out: stdout, Log: newLogger(cfg, stderr)}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	sd := startNotifier(m)
	<-ctx.Done()
	m.Log.Info("stopping")
	sd.stopping()
	return m.Close()
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Run opens the store, seeds the demo site if asked, and starts serving.
// It returns once the gateway is ready; Close stops it.
func (m *Main) Run(ctx context.Context) error {
	if m.Clock == nil {
		m.Clock = floorgate.SystemClock{}
	}
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	if m.Out == nil {
		m.Out = io.Discard
	}
	site, err := m.Config.SiteInfo()
	if err != nil {
		return err
	}
	// A bad device profile stops start-up before anything has started.
	profs, err := profiles.Load(m.Config.ProfilesDir)
	if err != nil {
		return fmt.Errorf("device profiles: %w", err)
	}
	scannerPlan, err := m.planScanners(profs)
	if err != nil {
		return err
	}
	if m.Config.MQTT.KeyFile != "" {
		if err := checkPrivate("mqtt.key_file", m.Config.MQTT.KeyFile); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	if err := os.MkdirAll(m.Config.StateDir, 0o750); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	tlsConf, fingerprint, err := m.serverTLS()
	if err != nil {
		return err
	}
	m.Fingerprint = fingerprint
	var wsServer *ws.Server
	m.DB, err = store.Open(filepath.Join(m.Config.StateDir, "floorgate.db"), store.Options{
		Site: site, MaxSize: m.Config.Store.MaxSizeMB << 20, AutoEnrol: m.Config.Devices.AutoEnrol || m.Demo,
		Clock: m.Clock, Logger: m.Log.With("component", "store"),
		FocalPx: func(model string) float64 {
			if p, ok := profs.Get(model); ok && p.Optics != nil {
				return p.Optics.FocalPixels()
			}
			return 0
		},
		OnNotice: func(n floorgate.Notice) {
			switch {
			case wsServer == nil:
			case n.Kind == floorgate.NoticeDeviceDisabled:
				wsServer.Disconnect(n.Device)
			default:
				wsServer.Notify(n)
			}
		},
	})
	if err != nil {
		return err
	}
	if m.Demo {
		seeded, err := NewDemo().Seed(ctx, m.DB)
		if err != nil {
			return err
		}
		if seeded {
			m.Log.Info("demo site seeded")
		}
	}
	m.startRetention()
	m.Metrics = web.NewMetrics(m.gauges)
	wsServer = ws.NewServer(m.DB, m.Clock, m.Log.With("component", "pda"), ws.Options{
		MaxRate:   float64(m.Config.Devices.MaxMessagesPerS),
		OnVerdict: func(v floorgate.Verdict, took time.Duration) { m.Metrics.Verdict(v, "pda", took) }})
	m.WS = wsServer
	if err := m.startSync(); err != nil {
		return err
	}
	m.startPrinting()
	if err := m.startScanners(scannerPlan); err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/ws/v1", wsServer)
	mux.Handle("GET /pda/", web.PDA())
	mux.Handle("GET /pda", http.RedirectHandler("/pda/", http.StatusMovedPermanently))
	m.Web = web.New(web.Options{DB: m.DB, Clock: m.Clock, Log: m.Log.With("component", "web"),
		Overview: func() (any, error) { return m.status() }, Connected: wsServer.Connected, LastSeen: wsServer.LastSeen, Scanners: m.ScannerStates,
		SecureCookies: tlsConf != nil, TLSFingerprint: fingerprint})
	m.Web.Routes(mux)
	webCtx, stopWeb := context.WithCancel(context.Background())
	m.stopWeb, m.webDone = stopWeb, make(chan struct{})
	go func() { defer close(m.webDone); m.Web.Run(webCtx) }()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /readyz", m.handleReady)
	mux.HandleFunc("GET /api/v1/backup", web.LocalOnly(m.handleBackup))
	mux.Handle("GET /metrics", m.Metrics.Handler())
	mux.HandleFunc("GET /api/v1/status", m.Web.ReaderOrLocal(m.handleStatus))
	mux.HandleFunc("POST /api/v1/tasks", m.Web.AdminOrLocal("task.import", m.handleImport))
	mux.HandleFunc("POST /api/v1/tasks/{id}/cancel", m.Web.AdminOrLocal("task.cancel", m.handleCancel))
	mux.HandleFunc("GET /api/v1/deadletters", m.Web.ReaderOrLocal(m.handleDeadLetters))
	mux.HandleFunc("GET /api/v1/barcodes/lookup", m.Web.ReaderOrLocal(m.handleLookup))
	mux.HandleFunc("GET /api/v1/printjobs", m.Web.ReaderOrLocal(m.handlePrintJobs))
	mux.HandleFunc("GET /api/v1/printers", m.Web.ReaderOrLocal(m.handlePrinters))
	mux.HandleFunc("GET /api/v1/scanners", m.Web.ReaderOrLocal(m.handleScanners))
	mux.HandleFunc("GET /api/v1/printjobs/{id}/preview.png", m.Web.ReaderOrLocal(m.handlePreview))
	mux.HandleFunc("POST /api/v1/printjobs/{id}/reprint", m.Web.AdminOrLocal("printjob.reprint", m.handleReprint))
	mux.HandleFunc("POST /api/v1/deadletters/{seq}/retry", m.Web.AdminOrLocal("deadletter.retry", m.handleRetry))

	m.listener, err = net.Listen("tcp", m.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", m.Config.Listen, err)
	}
	m.listener = limitPerAddress(m.listener, m.Config.Devices.MaxConnectionsPerAddress, m.Log.With("component", "http"))
	if tlsConf != nil {
		m.listener = tls.NewListener(m.listener, tlsConf)
	}
	if m.HeaderTimeout <= 0 {
		m.HeaderTimeout = 10 * time.Second
	}
	// A client that sends its headers slowly (slowloris) is cut off; bodies
	// are bounded by each handler. No ReadTimeout: it would also end the
	// status page's event streams, and WebSockets keep their own deadlines.
	m.http = &http.Server{Handler: mux, ReadHeaderTimeout: m.HeaderTimeout,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10,
		ErrorLog: slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn)}
	// End the status pages' event streams when shutting down, or Shutdown
	// waits for them.
	m.http.RegisterOnShutdown(stopWeb)
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(m.listener) }()
	m.announce()
	return nil
}

// startSync links the gateway to its broker, starting the embedded one
// when none is configured.
func (m *Main) startSync() error {
	sc, err := m.Config.SyncConfig()
	if err != nil {
		return err
	}
	if len(sc.Brokers) == 0 {
		m.Broker, err = broker.Start(broker.Options{Listen: m.Config.MQTT.EmbeddedListen,
			Logger: m.Log.With("component", "broker"), MaxMessageBytes: sc.MaxMessageBytes})
		if err != nil {
			return fmt.Errorf("embedded MQTT broker on %s (set mqtt.brokers or mqtt.embedded_listen): %w", m.Config.MQTT.EmbeddedListen, err)
		}
		sc.Brokers = []string{m.Broker.URL()}
	}
	m.Sync, err = fgsync.New(sc, m.DB, m.DB, m.Clock, m.Log.With("component", "sync"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopSync, m.synced = cancel, make(chan struct{})
	go func() {
		defer close(m.synced)
		m.Sync.Run(ctx)
	}()
	return nil
}

// handleReady: GET /readyz — 200 once the store is open, the listeners are
// up and the gateway is not stopping; 503 otherwise.
func (m *Main) handleReady(w http.ResponseWriter, _ *http.Request) {
	if m.DB == nil || m.listener == nil || m.stopWeb == nil {
		http.Error(w, "not ready\n", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ready\n")
}

// gauges are the values /metrics reads at each scrape.
func (m *Main) gauges() web.Gauges {
	g := web.Gauges{Printers: map[string]string{}}
	if st, err := m.status(); err == nil {
		g.OutboxDepth, g.OldestUnsentS, g.DeadLetters = st.Outbox.Depth, st.OldestUnsentS, st.Outbox.DeadLetters
		g.Upstream, g.LastSeq = st.Upstream.Connected, st.Counts.LastSeq
		for _, p := range st.Printers {
			g.Printers[p.ID] = p.State
		}
	}
	live := map[string]bool{}
	for _, d := range m.WS.Connected() {
		live[d] = true
	}
	scanners := map[string]string{}
	for _, s := range m.ScannerStates() {
		scanners[s.Station] = string(s.Status)
	}
	for _, d := range m.DB.Devices() {
		state := "disconnected"
		switch {
		case d.Disabled:
			state = "disabled"
		case scanners[d.ID] != "":
			state = scanners[d.ID]
		case live[d.ID]:
			state = "connected"
		}
		g.Devices = append(g.Devices, web.DeviceGauge{ID: d.ID, Kind: string(d.Kind), State: state})
	}
	return g
}

// Addr is the address the gateway listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// announce tells the person who started the gateway where to point a PDA
// and a browser.
func (m *Main) announce() {
	c := m.DB.Counts()
	m.Log.Info("floorgate ready", "version", floorgate.Version, "listen", m.Addr(), "db", m.DB.Path(),
		"locations", c.Locations, "items", c.Items, "pending_tasks", c.PendingTasks, "last_seq", c.LastSeq)
	_, port, _ := net.SplitHostPort(m.Addr())
	hosts := []string{"127.0.0.1"}
	if host, _, _ := net.SplitHostPort(m.Config.Listen); host == "" || host == "0.0.0.0" || host == "::" {
		hosts = append(hosts, lanAddrs()...)
	}
	page, sock := "http", "ws"
	if m.Fingerprint != "" {
		page, sock = "https", "wss"
	}
	fmt.Fprintf(m.Out, "floorgate %s listening on %s://%s\n", floorgate.Version, page, net.JoinHostPort("127.0.0.1", port))
	for _, h := range hosts {
		hp := net.JoinHostPort(h, port)
		fmt.Fprintf(m.Out, "  PDA web app:    %s://%s/pda/   (open it in the PDA's browser)\n", page, hp)
		fmt.Fprintf(m.Out, "  PDA endpoint:   %s://%s/ws/v1   (native apps: docs/pda-protocol.md)\n", sock, hp)
		fmt.Fprintf(m.Out, "  Status page:    %s://%s/\n", page, hp)
	}
	if m.Fingerprint != "" {
		fmt.Fprintf(m.Out, "  TLS certificate SHA-256: %s\n", m.Fingerprint)
		fmt.Fprintf(m.Out, "    (self-signed unless tls.mode is files: browsers warn once; compare this fingerprint)\n")
	}
	if m.Broker != nil {
		_, mport, _ := net.SplitHostPort(m.Broker.Addr())
		fmt.Fprintf(m.Out, "  MQTT (embedded broker): %s   watch: mosquitto_sub -p %s -t 'floorgate/#' -v\n", m.Broker.URL(), mport)
	} else {
		fmt.Fprintf(m.Out, "  MQTT brokers:   %s\n", strings.Join(m.Config.MQTT.Brokers, ", "))
	}
	if m.Demo {
		fmt.Fprintf(m.Out, "  Demo site: pickers log in with badge B1001 … B%04d, packers with B2001 … B%04d, PIN %s; any device id enrols itself.\n",
			1000+demoOperators, 2000+demoPackers, demoPIN)
		fmt.Fprintf(m.Out, "  Status page: admin badge %s, supervisor %s, PIN %s.\n", demoAdminBadge, demoSupervisorBadge, demoPIN)
		if m.Fingerprint != "" {
			fmt.Fprintf(m.Out, "  Drive it: floorgate sim --pdas 4 --addr wss://127.0.0.1:%s/ws/v1 --fingerprint %s\n", port, m.Fingerprint)
		} else {
			fmt.Fprintf(m.Out, "  Drive it: floorgate sim --pdas 4 --addr ws://127.0.0.1:%s/ws/v1\n", port)
		}
	}
}

// lanAddrs are this machine's non-loopback IPv4 addresses, where PDAs on
// the warehouse Wi-Fi can reach it.
func lanAddrs() []string {
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			out = append(out, ipn.IP.String())
		}
	}
	return out
}

// Close stops serving, lets in-flight commits finish and closes the
// database.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := m.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		if m.WS != nil {
			if err := m.WS.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("pda shutdown: %w", err))
			}
		}
		cancel()
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
		m.http = nil
	}
	if m.stopWeb != nil {
		m.stopWeb()
		<-m.webDone
		m.stopWeb = nil
	}
	m.stopScanners()
	m.stopPrinting()
	if m.stopSync != nil {
		m.stopSync()
		<-m.synced
		m.stopSync = nil
	}
	if m.Broker != nil {
		if err := m.Broker.Close(); err != nil {
			errs = append(errs, fmt.Errorf("embedded broker: %w", err))
		}
		m.Broker = nil
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, err)
		}
		m.DB = nil
	}
	return errors.Join(errs...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	status := map[string]int{
		floorgate.EINVALID: http.StatusBadRequest, floorgate.ENOTFOUND: http.StatusNotFound,
		floorgate.ECONFLICT: http.StatusConflict, floorgate.EUNAUTHORIZED: http.StatusForbidden,
		floorgate.EUNAVAILABLE: http.StatusServiceUnavailable,
	}[floorgate.ErrorCode(err)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, map[string]string{"code": floorgate.ErrorCode(err), "error": floorgate.ErrorMessage(err)})
}

type statusReply struct {
	Site    string             `json:"site"`
	Gateway string             `json:"gateway"`
	Version string             `json:"version"`
	Counts  store.Counts       `json:"counts"`
	Outbox  store.OutboxStatus `json:"outbox"`
	// OldestUnsentS is how long the oldest event has waited to go upstream.
	OldestUnsentS float64                `json:"oldest_unsent_s"`
	Upstream      fgsync.Status          `json:"upstream"`
	Printers      []fgprint.PrinterState `json:"printers"`
	Scanners      []scanner.State        `json:"scanners"`
	// TLSFingerprint is the SHA-256 fingerprint of the gateway's
	// certificate, for PDAs to pin; empty when TLS is off.
	TLSFingerprint string   `json:"tls_fingerprint,omitempty"`
	Connected      []string `json:"connected_devices"`
}

func (m *Main) status() (statusReply, error) {
	ob, err := m.DB.Outbox()
	s := m.DB.Site()
	r := statusReply{Site: s.ID, Gateway: s.Gateway, Version: floorgate.Version, Counts: m.DB.Counts(),
		Outbox: ob, Upstream: m.Sync.Status(), Printers: m.PrintWorker.States(), Scanners: m.ScannerStates(), Connected: m.WS.Connected(), TLSFingerprint: m.Fingerprint}
	if !ob.Oldest.IsZero() {
		r.OldestUnsentS = m.Clock.Now().Sub(ob.Oldest).Seconds()
	}
	return r, err
}

func (m *Main) handleStatus(w http.ResponseWriter, _ *http.Request) {
	s, err := m.status()
	if err != nil {
		m.Log.Error("status", "err", err)
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

// handleLookup says which location or item scanned data names here.
func (m *Main) handleLookup(w http.ResponseWriter, r *http.Request) {
	data := r.URL.Query().Get("data")
	if data == "" || len(data) > 4096 {
		writeError(w, floorgate.Errorf(floorgate.EINVALID, "data must be 1 to 4096 bytes"))
		return
	}
	writeJSON(w, http.StatusOK, matchInfoOf(m.DB.Lookup(r.URL.Query().Get("aim"), data)))
}

func (m *Main) handleDeadLetters(w http.ResponseWriter, _ *http.Request) {
	dl, err := m.DB.DeadLetters()
	writeList(w, dl, err)
}

// writeList answers a list, [] rather than null when it is empty.
func writeList[T any](w http.ResponseWriter, items []T, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, items)
}

func (m *Main) handleRetry(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		writeError(w, floorgate.Errorf(floorgate.EINVALID, "seq %q is not a number", r.PathValue("seq")))
		return
	}
	if err := m.DB.RetryDeadLetter(r.Context(), seq); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"retrying": seq})
}

func (m *Main) handleImport(w http.ResponseWriter, r *http.Request) {
	tasks, err := decodeTasks(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		writeError(w, err)
		return
	}
	added, err := m.DB.ImportTasks(r.Context(), tasks)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"received": len(tasks), "added": added})
}

func (m *Main) handleCancel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil || body.Reason == "" {
		writeError(w, floorgate.Errorf(floorgate.EINVALID, "body must be {\"reason\": \"…\"}"))
		return
	}
	if err := m.DB.CancelTask(r.Context(), r.PathValue("id"), body.Reason); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"cancelled": r.PathValue("id")})
}
