// Package gateway is the floorgate daemon as a library: a configuration in,
// a running gateway out (New, Start or Run, Status, Close). It opens the
// store, starts the embedded broker or links to the site's, runs the print
// worker and the wired scanners, and serves HTTP — the PDA endpoint, the
// pages and the API, all from web's one handler table — on its TCP
// listener and on the local administration socket.
//
// It holds no HTTP handlers of its own and parses no command line; that is
// web's and internal/cli's.
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
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

// Gateway is the daemon: configuration in, a running gateway out. Set the
// exported fields before Start.
type Gateway struct {
	Config Config
	Demo   bool
	// DemoPrinter, on a demo gateway configured with no printer, simulates
	// two (demo-zpl and demo-tspl, always ready, keeping their last jobs)
	// serving the pack stations — the configured ones, else DemoStations —
	// so a demo packer sees the whole flow. `floorgate run --demo` sets it;
	// a site never does.
	DemoPrinter bool
	Clock       floorgate.Clock
	Log         *slog.Logger
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

	local       *http.Server
	localLn     net.Listener
	localServed chan error

	stopSync context.CancelFunc
	synced   chan struct{}

	// Fingerprint is the SHA-256 fingerprint of the listener's TLS
	// certificate; empty when TLS is off.
	Fingerprint string
	listenerTLS *tls.Config

	// The embedded broker's user for watching the demo site (make run).
	demoBrokerUser, demoBrokerPassword string

	Web     *web.Server
	Metrics *web.Metrics
	stopWeb context.CancelFunc
	webDone chan struct{}

	// GCPace, when set, paces Go's collector by the load (gcpace.go);
	// nil leaves it as it is. floorgate run sets DefaultGCPace unless
	// GOGC is in the environment.
	GCPace   *GCPace
	stopPace context.CancelFunc
	paceDone chan struct{}

	stopReports context.CancelFunc
	reportMu    sync.Mutex // one daily report written at a time

	// Waybills are the site's label templates and stations' choices.
	Waybills     *Waybills
	PrintWorker  *fgprint.Worker
	printers     []*fgprint.Printer
	demoPrinters *demoPrinters
	stopPrint    context.CancelFunc
	printed      chan struct{}

	scanners *scanners

	absent      *absence
	stopAbsence context.CancelFunc
	absenceDone chan struct{}
}

// New returns a gateway for cfg; Start or Run starts it.
func New(cfg Config) *Gateway { return &Gateway{Config: cfg} }

// Run starts the gateway, tells systemd it is ready, serves until ctx ends
// and stops. A cancelled ctx is a clean stop, not an error.
func (g *Gateway) Run(ctx context.Context) error {
	if err := g.Start(ctx); err != nil {
		g.Close()
		return err
	}
	sd := startNotifier(g)
	<-ctx.Done()
	g.Log.Info("stopping")
	sd.stopping()
	return g.Close()
}

// NewLogger is the logger the configuration asks for, writing to w.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Start opens the store, seeds the demo site if asked, and starts serving.
// It returns once the gateway is ready; Close stops it.
func (g *Gateway) Start(ctx context.Context) error {
	if g.Clock == nil {
		g.Clock = floorgate.SystemClock{}
	}
	if g.Log == nil {
		g.Log = slog.New(slog.DiscardHandler)
	}
	if g.Out == nil {
		g.Out = io.Discard
	}
	site, err := g.Config.SiteInfo()
	if err != nil {
		return err
	}
	// A bad device profile stops start-up before anything has started.
	profs, err := profiles.Load(g.Config.ProfilesDir)
	if err != nil {
		return fmt.Errorf("device profiles: %w", err)
	}
	scannerPlan, err := g.planScanners(profs)
	if err != nil {
		return err
	}
	if g.Config.MQTT.KeyFile != "" {
		if err := checkPrivate("mqtt.key_file", g.Config.MQTT.KeyFile); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	if err := os.MkdirAll(g.Config.StateDir, 0o750); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	tlsConf, fingerprint, err := g.serverTLS()
	if err != nil {
		return err
	}
	g.Fingerprint, g.listenerTLS = fingerprint, tlsConf
	if g.Demo && g.DemoPrinter && len(g.Config.Printers) == 0 {
		if err := g.startDemoPrinters(); err != nil {
			return err
		}
	}
	var wsServer *ws.Server
	// A bad label template stops start-up too, naming its file and field.
	if g.Waybills, err = g.Config.LoadWaybills(); err != nil {
		return err
	}
	g.DB, err = store.Open(store.PathIn(g.Config.StateDir), store.Options{
		Site: site, MaxSize: g.Config.Store.MaxSizeMB << 20, MaxTaskLines: g.Config.Store.MaxTaskLines, AutoEnrol: g.Config.Devices.AutoEnrol || g.Demo,
		Clock: g.Clock, Logger: g.Log.With("component", "store"),
		FocalPx: func(model string) float64 {
			if p, ok := profs.Get(model); ok && p.Optics != nil {
				return p.Optics.FocalPixels()
			}
			return 0
		},
		CannotMeasure: func(model string) bool {
			p, ok := profs.Get(model)
			return ok && p.Kind == profiles.KindPDA && p.CannotMeasure()
		},
		Present:  func(device string) bool { return g.connected()[device] },
		Stations: g.Config.PackStations(),
		Modes: store.ModeRules(floorgate.ModeRules{ClusterUpToUnits: g.Config.Picking.ClusterUpToUnits,
			SingleUnitWaves: g.Config.Picking.SingleUnitWaves}),
		PrinterServes: g.Config.PrinterServes,
		Waybills:      g.Waybills,
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
	if g.Demo {
		seeded, err := NewDemo().Seed(ctx, g.DB, g.Clock.Now())
		if err != nil {
			return err
		}
		if seeded {
			g.Log.Info("demo site seeded")
		}
	}
	g.startRetention()
	g.startAbsence()
	// A held wave with a release time is released within this of it.
	go g.DB.RunWaveReleases(context.Background(), waveReleaseEvery)
	go g.DB.RunSLA(context.Background(), slaEvery)
	g.Metrics = web.NewMetrics(g.gauges)
	wsServer = ws.NewServer(g.DB, g.Clock, g.Log.With("component", "pda"), ws.Options{
		MaxRate:   float64(g.Config.Devices.MaxMessagesPerS),
		OnVerdict: func(v floorgate.Verdict, took time.Duration) { g.Metrics.Verdict(v, "pda", took) }})
	g.WS = wsServer
	if err := g.startSync(); err != nil {
		return err
	}
	g.startPrinting()
	if err := g.startScanners(scannerPlan); err != nil {
		return err
	}

	g.Web = web.New(web.Options{DB: g.DB, Clock: g.Clock, Log: g.Log.With("component", "web"),
		Overview: func() (any, error) { return g.Status() }, Connected: wsServer.Connected, LastSeen: wsServer.LastSeen,
		Scanners: g.ScannerStates, Printers: g.PrintWorker.States, Preview: g.PrintWorker.Preview, PDA: wsServer, Metrics: g.Metrics, Ready: g.ready,
		SecureCookies: tlsConf != nil, TLSFingerprint: fingerprint})
	handler := g.Web.Handler()
	webCtx, stopWeb := context.WithCancel(context.Background())
	g.stopWeb, g.webDone = stopWeb, make(chan struct{})
	go func() { defer close(g.webDone); g.Web.Run(webCtx) }()
	// The day's report, once reports.daily_at has passed.
	reportsCtx, stopReports := context.WithCancel(context.Background())
	reportsDone := make(chan struct{})
	g.stopReports = func() { stopReports(); <-reportsDone }
	go func() { defer close(reportsDone); g.runDailyReports(reportsCtx, time.Minute) }()
	if g.GCPace != nil {
		paceCtx, stopPace := context.WithCancel(context.Background())
		g.stopPace, g.paceDone = stopPace, make(chan struct{})
		go func() {
			defer close(g.paceDone)
			paceGC(paceCtx, *g.GCPace, g.Clock, func() uint64 { _, r := g.DB.Stats(); return r }, g.Log)
		}()
	}

	if err := g.serveLocal(handler); err != nil {
		return err
	}
	g.listener, err = net.Listen("tcp", g.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", g.Config.Listen, err)
	}
	g.listener = limitPerAddress(g.listener, g.Config.Devices.MaxConnectionsPerAddress, g.Log.With("component", "http"))
	if tlsConf != nil {
		g.listener = tls.NewListener(g.listener, tlsConf)
	}
	if g.HeaderTimeout <= 0 {
		g.HeaderTimeout = 10 * time.Second
	}
	// A client that sends its headers slowly (slowloris) is cut off; bodies
	// are bounded by each handler. No ReadTimeout: it would also end the
	// status page's event streams, and WebSockets keep their own deadlines.
	g.http = &http.Server{Handler: handler, ReadHeaderTimeout: g.HeaderTimeout,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10,
		ErrorLog: slog.NewLogLogger(g.Log.Handler(), slog.LevelWarn)}
	// End the status pages' event streams when shutting down, or Shutdown
	// waits for them.
	g.http.RegisterOnShutdown(stopWeb)
	g.served = make(chan error, 1)
	go func() { g.served <- g.http.Serve(g.listener) }()
	g.announce()
	return nil
}

// startSync links the gateway to its broker, starting the embedded one
// when none is configured.
func (g *Gateway) startSync() error {
	sc, err := g.Config.SyncConfig()
	if err != nil {
		return err
	}
	if len(sc.Brokers) == 0 {
		if g.demoBrokerUser, g.demoBrokerPassword, err = g.startBroker(&sc, g.listenerTLS); err != nil {
			return err
		}
	}
	g.Sync, err = fgsync.New(sc, g.DB, g.DB, g.Clock, g.Log.With("component", "sync"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.stopSync, g.synced = cancel, make(chan struct{})
	go func() {
		defer close(g.synced)
		g.Sync.Run(ctx)
	}()
	return nil
}

// ready says why the gateway does not serve yet, or nil.
func (g *Gateway) ready() error {
	if g.DB == nil || g.listener == nil || g.stopWeb == nil {
		return floorgate.Errorf(floorgate.EUNAVAILABLE, "starting or stopping")
	}
	if h := g.DB.Health(); h.Full {
		return floorgate.Errorf(floorgate.EUNAVAILABLE, "%s", storeFullMessage(h))
	}
	return nil
}

// storeFullMessage says why a full store refuses writes and what frees it.
func storeFullMessage(h store.Health) string {
	if h.Reason == store.FullDisk {
		return fmt.Sprintf("store full: the disk holding the database (%d MiB) is full, nothing new is saved: free space on that disk", h.Bytes>>20)
	}
	return fmt.Sprintf("store full: the database file reached store.max_size_mb (%d of %d MiB), nothing new is saved: "+
		"raise store.max_size_mb and restart, or bring the upstream link back so retention can prune what it acknowledged", h.Bytes>>20, h.LimitBytes>>20)
}

// gauges are the values /metrics reads at each scrape.
func (g *Gateway) gauges() web.Gauges {
	ga := web.Gauges{Printers: map[string]string{}}
	h := g.DB.Health()
	ga.StoreBytes, ga.StoreLimitBytes, ga.StoreFull = h.Bytes, h.LimitBytes, h.Full
	if st, err := g.Status(); err == nil {
		ga.OutboxDepth, ga.OldestUnsentS, ga.DeadLetters = st.Outbox.Depth, st.OldestUnsentS, st.Outbox.DeadLetters
		ga.Upstream, ga.LastSeq = st.Upstream.Connected, st.Counts.LastSeq
		if st.Upstream.Connected {
			ga.Broker = st.Upstream.Broker
		}
		if l := st.Leaf; l != nil {
			ga.Leaf = &web.LeafGauge{Connected: l.Connected, Remote: l.Remote, Domain: l.Domain}
			if c := st.Upstream.Central; c != nil {
				ga.Leaf.AwaitingCentral, ga.Leaf.Confirmed, ga.Leaf.Nudges = c.AwaitingCentral, c.Confirmed, c.Nudges
			}
		}
		for _, p := range st.Printers {
			ga.Printers[p.ID] = p.State
		}
		ga.StationsWithoutPrinter = len(st.StationsWithoutPrinter)
		ga.Parcels = map[string]int{floorgate.ParcelHeld: 0, floorgate.ParcelReleased: 0}
		for _, p := range st.Parcels {
			ga.Parcels[p.Status()]++
		}
	}
	live := map[string]bool{}
	for _, d := range g.WS.Connected() {
		live[d] = true
	}
	scanners := map[string]string{}
	for _, s := range g.ScannerStates() {
		scanners[s.Station] = string(s.Status)
	}
	for _, d := range g.DB.Devices() {
		state := "disconnected"
		switch {
		case d.Disabled:
			state = "disabled"
		case scanners[d.ID] != "":
			state = scanners[d.ID]
		case live[d.ID]:
			state = "connected"
		}
		ga.Devices = append(ga.Devices, web.DeviceGauge{ID: d.ID, Kind: string(d.Kind), State: state})
	}
	return ga
}

// Addr is the address the gateway listens on.
func (g *Gateway) Addr() string { return g.listener.Addr().String() }

// announce tells the person who started the gateway where to point a PDA
// and a browser.
func (g *Gateway) announce() {
	c := g.DB.Counts()
	g.Log.Info("floorgate ready", "version", floorgate.Version, "listen", g.Addr(), "db", g.DB.Path(),
		"locations", c.Locations, "items", c.Items, "pending_tasks", c.PendingTasks, "last_seq", c.LastSeq)
	_, port, _ := net.SplitHostPort(g.Addr())
	hosts := []string{"127.0.0.1"}
	if host, _, _ := net.SplitHostPort(g.Config.Listen); host == "" || host == "0.0.0.0" || host == "::" {
		hosts = append(hosts, lanAddrs()...)
	}
	page, sock := "http", "ws"
	if g.Fingerprint != "" {
		page, sock = "https", "wss"
	}
	fmt.Fprintf(g.Out, "floorgate %s listening on %s://%s\n", floorgate.Version, page, net.JoinHostPort("127.0.0.1", port))
	for _, h := range hosts {
		hp := net.JoinHostPort(h, port)
		fmt.Fprintf(g.Out, "  PDA web app:    %s://%s/pda/   (open it in the PDA's browser)\n", page, hp)
		fmt.Fprintf(g.Out, "  PDA endpoint:   %s://%s/ws/v1   (native apps: docs/pda-protocol.md)\n", sock, hp)
		fmt.Fprintf(g.Out, "  Status page:    %s://%s/\n", page, hp)
	}
	if g.Fingerprint != "" {
		fmt.Fprintf(g.Out, "  TLS certificate SHA-256: %s\n", g.Fingerprint)
		fmt.Fprintf(g.Out, "    (self-signed unless tls.mode is files: browsers warn once; compare this fingerprint)\n")
	}
	if g.Broker != nil {
		fmt.Fprintf(g.Out, "  MQTT (embedded broker): %s\n", g.Broker.URL())
		if g.demoBrokerUser != "" {
			fmt.Fprintf(g.Out, "    demo ERP user %s, password %s (this start only):\n", g.demoBrokerUser, g.demoBrokerPassword)
			fmt.Fprintf(g.Out, "    floorgate erp-tail --broker %s --username %s --password %s --filter floorgate/v1/%s/+/events\n",
				g.Broker.URL(), g.demoBrokerUser, g.demoBrokerPassword, g.Config.Site.ID)
		}
	} else {
		fmt.Fprintf(g.Out, "  MQTT brokers:   %s\n", strings.Join(g.Config.MQTT.Brokers, ", "))
	}
	fmt.Fprintf(g.Out, "  Local admin:    %s   (floorgate status --socket %s)\n", g.Config.SocketPath(), g.Config.SocketPath())
	if g.Demo {
		fmt.Fprintf(g.Out, "  Demo site: pickers log in with badge B1001 … B%04d, packers with B2001 … B%04d, PIN %s; any device id enrols itself.\n",
			1000+DemoOperators, 2000+DemoPackers, DemoPIN)
		fmt.Fprintf(g.Out, "  Status page: admin badge %s, supervisor %s, PIN %s.\n", DemoAdminBadge, DemoSupervisorBadge, DemoPIN)
		if g.demoPrinters != nil {
			fmt.Fprintf(g.Out, "  %s\n    See their labels on the status page (Labels, Print queue).\n", g.demoPrinters.describe())
		}
		if g.Fingerprint != "" {
			fmt.Fprintf(g.Out, "  Drive it: floorgate sim --pdas 4 --addr wss://127.0.0.1:%s/ws/v1 --fingerprint %s\n", port, g.Fingerprint)
		} else {
			fmt.Fprintf(g.Out, "  Drive it: floorgate sim --pdas 4 --addr ws://127.0.0.1:%s/ws/v1\n", port)
		}
		fmt.Fprintf(g.Out, "  Peak wave %s is held: carts CART-01 … CART-%02d with totes TOTE-001 …, put wall %s (batch %s, screen /wall/%s) and the single-item lane (batch %s).\n",
			DemoPeakWave, DemoCarts, DemoWall, DemoBatch, DemoWall, DemoSingles)
		fmt.Fprintf(g.Out, "    Release it on the status page, or: floorgate waves release %s --socket %s; then floorgate sim --mode cluster|batch|single …\n",
			DemoPeakWave, g.Config.SocketPath())
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
func (g *Gateway) Close() error {
	var errs []error
	if g.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := g.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		if g.WS != nil {
			if err := g.WS.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("pda shutdown: %w", err))
			}
		}
		cancel()
		if err := <-g.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
		g.http = nil
	}
	if g.local != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := g.local.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("local socket shutdown: %w", err))
		}
		cancel()
		if err := <-g.localServed; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("local socket: %w", err))
		}
		g.local = nil
	}
	if g.stopPace != nil {
		g.stopPace()
		<-g.paceDone
		g.stopPace = nil
	}
	if g.stopWeb != nil {
		g.stopWeb()
		<-g.webDone
		g.stopWeb = nil
	}
	if g.stopReports != nil {
		g.stopReports()
		g.stopReports = nil
	}
	g.stopAbsent()
	g.stopScanners()
	g.stopPrinting()
	if g.demoPrinters != nil {
		g.demoPrinters.close()
		g.demoPrinters = nil
	}
	if g.stopSync != nil {
		g.stopSync()
		<-g.synced
		g.stopSync = nil
	}
	if g.Broker != nil {
		if err := g.Broker.Close(); err != nil {
			errs = append(errs, fmt.Errorf("embedded broker: %w", err))
		}
		g.Broker = nil
	}
	if g.DB != nil {
		if err := g.DB.Close(); err != nil {
			errs = append(errs, err)
		}
		g.DB = nil
	}
	return errors.Join(errs...)
}

// Status is what /api/v1/status and `floorgate status` show.
type Status struct {
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
	// Store says whether the database can take writes: full (the file
	// reached store.max_size_mb or the disk is full) refuses every change.
	Store store.Health `json:"store"`
	// Tasks is where the open tasks are, as the floor sees them now.
	Tasks TaskSummary `json:"tasks"`
	// Exceptions counts the exception cases a supervisor must resolve,
	// and those upstream has not acknowledged yet.
	Exceptions store.ExceptionGauges `json:"exceptions"`
	// Incarnation is the database's current incarnation: the prefix of
	// the event ids it gives, where it began and what a restore replaced.
	Incarnation floorgate.Incarnation `json:"incarnation"`
	// StationsWithoutPrinter are the pack stations, configured or in use,
	// whose waybills cannot print: no printer serves them.
	StationsWithoutPrinter []StationWithoutPrinter `json:"stations_without_printer"`
	// Parcels are the presale parcels on the shelf: packed and held for
	// their order's release, or released (their waybill printed) and not
	// shipped yet, oldest first.
	Parcels []floorgate.HeldParcel `json:"parcels"`
	// Leaf is the embedded broker's link to the central NATS cluster,
	// when it joins one as a leaf node (mqtt.embedded.leaf).
	Leaf *broker.LeafState `json:"leaf,omitempty"`
}

// Status is the gateway's state now.
func (g *Gateway) Status() (Status, error) {
	ob, err := g.DB.Outbox()
	s := g.DB.Site()
	r := Status{Site: s.ID, Gateway: s.Gateway, Version: floorgate.Version, Counts: g.DB.Counts(),
		Outbox: ob, Upstream: g.Sync.Status(), Printers: g.PrintWorker.States(), Scanners: g.ScannerStates(), Connected: g.WS.Connected(), TLSFingerprint: g.Fingerprint,
		Store: g.DB.Health(), Tasks: g.taskSummary(), Incarnation: g.DB.Incarnation(),
		Exceptions: g.DB.ExceptionGauges()}
	r.StationsWithoutPrinter = g.stationsWithoutPrinter()
	if g.Broker != nil {
		if l, ok := g.Broker.Leaf(); ok {
			r.Leaf = &l
		}
	}
	if r.Parcels, err = g.DB.HeldParcels(); err != nil {
		return r, err
	}
	if r.Parcels == nil {
		r.Parcels = []floorgate.HeldParcel{}
	}
	if !ob.Oldest.IsZero() {
		r.OldestUnsentS = g.Clock.Now().Sub(ob.Oldest).Seconds()
	}
	if !r.Exceptions.OldestOpen.IsZero() {
		r.Exceptions.OldestOpenS = g.Clock.Now().Sub(r.Exceptions.OldestOpen).Seconds()
	}
	return r, err
}

// retentionEvery is how often the gateway prunes what retention allows.
const retentionEvery = time.Hour

// startRetention prunes the journal, command ids and finished print jobs
// older than store.retention_days, at once and then hourly, until the
// database closes.
// slaEvery is how often the gateway sends upstream what changed on the SLA
// board (sla.at_risk, sla.breached).
const slaEvery = 15 * time.Second

// waveReleaseEvery is how often the gateway looks for held waves whose
// release time has come.
const waveReleaseEvery = 5 * time.Second

func (g *Gateway) startRetention() {
	keep := time.Duration(g.Config.Store.RetentionDays) * 24 * time.Hour
	go g.DB.RunRetention(context.Background(), retentionEvery, keep)
}
