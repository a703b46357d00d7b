package ws

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/gorilla/websocket"
)

// Floor is what the endpoint needs from the rest of floorgate.
type Floor interface {
	// Hello authenticates a device by id and token and returns where it is.
	Hello(ctx context.Context, device, token, model string) (floorgate.Welcome, error)
	Login(ctx context.Context, device, requestID, badge, pin string) (floorgate.Verdict, error)
	Logout(ctx context.Context, device string) (floorgate.Prompt, error)
	// Next moves the picker on from a cancelled task, or asks for work
	// while waiting, and returns the prompt that follows.
	Next(ctx context.Context, device string) (floorgate.Prompt, error)
	Scan(ctx context.Context, sc floorgate.Scan) (floorgate.Verdict, error)
	// Raise records an exception: a short with its reason at a pick line
	// (an empty reason is a plain short), or a reason-coded exception on
	// the parcel at the pack station.
	Raise(ctx context.Context, device, scanID string, r floorgate.Raise) (floorgate.Verdict, error)
	// SetStation sets the pack station the device stands at, by name ("":
	// none); a name the site does not have is a floorgate.ENOTFOUND error.
	SetStation(ctx context.Context, device, station string) error
}

// Options tune the endpoint. The zero value of each field means its default.
type Options struct {
	// ReadLimit is the largest message a device may send, in bytes; a larger
	// one closes the connection with 1009. Default 64 KiB.
	ReadLimit int64
	// HelloTimeout is how long a new connection has to send its hello.
	// Default 10s.
	HelloTimeout time.Duration
	// PingInterval is how often the server pings an open connection. A
	// connection from which nothing (no message, no pong) arrives for 2.5
	// intervals is dropped. Default 20s.
	PingInterval time.Duration
	// WriteTimeout bounds every write to a device. Default 5s.
	WriteTimeout time.Duration
	// CheckOrigin decides whether to accept a browser's Origin header. The
	// default accepts every origin: the PDA page is served by the gateway
	// itself (same origin anyway), native apps send no Origin at all, and a
	// device still has to prove its token in the hello before anything
	// happens. Set it when the gateway's HTTP port is reachable from
	// browsers that browse elsewhere.
	CheckOrigin func(r *http.Request) bool
	// SendQueue is how many outgoing messages may wait for one connection's
	// writer. Default 64. The queue takes memory only while it holds some.
	SendQueue int
	// MaxRate is how many messages per second one connection may send on
	// average, with bursts of twice that; a device that floods is closed
	// with 1008 (policy violation). Zero means no limit. A person scanning
	// sends a few a second.
	MaxRate float64
	// Now reads the clock the rate limit runs on; time.Now when nil.
	Now func() time.Time
	// OnVerdict, when set, is told of every scan's verdict and how long it
	// took from the scan's arrival to the verdict being queued to the
	// device (by the server's clock). It must not block.
	OnVerdict func(v floorgate.Verdict, took time.Duration)
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 64 << 10
	}
	if o.HelloTimeout <= 0 {
		o.HelloTimeout = 10 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 20 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 5 * time.Second
	}
	if o.CheckOrigin == nil {
		o.CheckOrigin = func(*http.Request) bool { return true }
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 64
	}
	return o
}

// closeGrace is how long the writer waits, after sending a close frame, for
// the device to answer with its own before dropping the TCP connection.
// Closing at once could reset the connection and lose the frames just sent.
const closeGrace = time.Second

// Server is the PDA WebSocket endpoint. It implements http.Handler: every
// request it serves is upgraded to one device connection.
type Server struct {
	floor    Floor
	clock    floorgate.Clock
	log      *slog.Logger
	opts     Options
	pongWait time.Duration
	upgrader websocket.Upgrader

	// ctx is the parent of every connection's context; cancelling it
	// aborts the Floor calls in flight.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	conns   map[*conn]struct{} // every upgraded connection
	devices map[string]*conn   // connections past their hello, by device id
	hellos  map[string][]*conn // connections whose hello is at the Floor
	wg      sync.WaitGroup     // every connection goroutine
}

// NewServer returns an endpoint serving floor. A nil clock is the system
// clock and a nil log is slog.Default().
func NewServer(floor Floor, clock floorgate.Clock, log *slog.Logger, opts Options) *Server {
	if clock == nil {
		clock = floorgate.SystemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		floor:    floor,
		clock:    clock,
		log:      log,
		opts:     opts,
		pongWait: opts.PingInterval * 5 / 2,
		upgrader: websocket.Upgrader{
			HandshakeTimeout: opts.WriteTimeout,
			CheckOrigin:      opts.CheckOrigin,
			// A PDA gets a verdict a few times a minute: a pooled write
			// buffer, instead of one held for the life of each connection.
			WriteBufferPool: &sync.Pool{},
		},
		ctx:     ctx,
		cancel:  cancel,
		conns:   make(map[*conn]struct{}),
		devices: make(map[string]*conn),
		hellos:  make(map[string][]*conn),
	}
}

// ServeHTTP upgrades the request and hands the connection to a reader
// goroutine of its own, then returns: net/http then lets go of the
// request, its buffers and its goroutine, which would otherwise be held
// for the connection's whole life (a PDA stays connected for a shift).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1) // done when the connection's reader has cleaned up
	s.mu.Unlock()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered with an HTTP error already.
		s.log.Debug("ws upgrade refused", "remote", r.RemoteAddr, "err", err)
		s.wg.Done()
		return
	}
	c := newConn(s, ws, r.RemoteAddr)

	s.mu.Lock()
	closed := s.closed
	s.conns[c] = struct{}{}
	s.mu.Unlock()

	if closed {
		c.kill(websocket.CloseGoingAway, "shutting down")
	}
	go c.serve()
}

// serve is the connection's reader: it reads until the connection ends,
// waits for the writer to hang up, and forgets the connection.
func (c *conn) serve() {
	s := c.s
	defer s.wg.Done()
	c.readLoop()
	close(c.readerDone)
	<-c.writerDone

	if c.device != "" {
		// The writer has ended, so c.frame is settled.
		reason := c.frame.reason
		if reason == "" {
			reason = c.reason
		}
		c.log.Info("pda disconnected", "reason", reason)
	}
	s.mu.Lock()
	delete(s.conns, c)
	if c.device != "" && s.devices[c.device] == c {
		delete(s.devices, c.device)
	}
	s.mu.Unlock()
}

// beginHello notes that c's hello for device is being checked, so pushes
// for the device raised meanwhile are kept for c: the Floor's answer to the
// hello may predate them.
func (s *Server) beginHello(c *conn, device string) {
	s.mu.Lock()
	s.hellos[device] = append(s.hellos[device], c)
	s.mu.Unlock()
}

// endHello forgets c's pending hello, and the pushes kept for it.
func (s *Server) endHello(c *conn, device string) {
	s.mu.Lock()
	s.dropHello(c, device)
	s.mu.Unlock()
}

func (s *Server) dropHello(c *conn, device string) {
	hs := slices.DeleteFunc(s.hellos[device], func(h *conn) bool { return h == c })
	if len(hs) == 0 {
		delete(s.hellos, device)
	} else {
		s.hellos[device] = hs
	}
	c.early = nil
}

// admit makes c the live connection of its device, replacing any other. The
// welcome and the pushes kept during the hello are queued in the same
// critical section, so every push Notify finds c for comes after them.
func (s *Server) admit(c *conn, welcome []byte) {
	s.mu.Lock()
	early := c.early
	s.dropHello(c, c.device)
	// The queue is empty: nothing can reach it before this point.
	c.offer(welcome)
	for _, b := range early {
		if !c.offer(b) {
			c.log.Warn("push dropped: send queue full")
		}
	}
	old := s.devices[c.device]
	s.devices[c.device] = c
	closed := s.closed
	s.mu.Unlock()
	if old != nil {
		old.log.Info("pda connection replaced", "by", c.remote)
		old.kill(CloseReplaced, "replaced")
	}
	if closed {
		c.kill(websocket.CloseGoingAway, "shutting down")
	}
}

// Notify delivers a server push to the device's live connection, if it has
// one, and to a connection of the device whose hello is being checked. It
// never blocks: when the connection's send queue is full the push is dropped
// and logged. Nothing is lost by that — a push only announces a state the
// Floor has already committed, and the device is told that state again in
// the verdict of its next message and in the welcome of its next connection.
func (s *Server) Notify(n floorgate.Notice) {
	b, err := json.Marshal(pushMsg{Type: typePush, Kind: n.Kind, Task: n.Task, Verdict: wireVerdict(n.Verdict)})
	if err != nil {
		s.log.Error("encode push", "device", n.Device, "err", err)
		return
	}
	s.mu.Lock()
	c := s.devices[n.Device]
	for _, h := range s.hellos[n.Device] {
		if len(h.early) < s.opts.SendQueue {
			h.early = append(h.early, b)
		}
	}
	s.mu.Unlock()
	if c == nil {
		s.log.Debug("push for a device not connected", "device", n.Device, "kind", n.Kind)
		return
	}
	if !c.offer(b) {
		c.log.Warn("push dropped: send queue full or connection closing", "kind", n.Kind, "task", n.Task)
	}
}

// Connected lists the devices with a live connection, sorted.
func (s *Server) Connected() []string {
	s.mu.Lock()
	out := make([]string, 0, len(s.devices))
	for d := range s.devices {
		out = append(out, d)
	}
	s.mu.Unlock()
	slices.Sort(out)
	return out
}

// LastSeen returns, for each connected device, when it last sent a
// message.
func (s *Server) LastSeen() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]time.Time, len(s.devices))
	for d, c := range s.devices {
		if ns := c.seen.Load(); ns != 0 {
			out[d] = time.Unix(0, ns)
		}
	}
	return out
}

// Shutdown stops accepting connections, closes every open one with a
// going-away close frame (1001) and waits for their goroutines. Floor calls
// in flight are let finish; if ctx ends first they are cancelled, the
// connections are dropped, and Shutdown returns ctx's error without waiting
// further.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.shutdown(ctx, false)
}

// Close closes every connection with a going-away close frame, cancels the
// Floor calls in flight and waits for the connections' goroutines.
func (s *Server) Close() error {
	return s.shutdown(context.Background(), true)
}

func (s *Server) shutdown(ctx context.Context, cancelCalls bool) error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.kill(websocket.CloseGoingAway, "shutting down")
	}
	s.mu.Unlock()
	// Cancel only after the kills, so an aborted call's answer is dropped
	// rather than sent as if the gateway had failed.
	if cancelCalls {
		s.cancel()
	}

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			c.ws.NetConn().Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// textDisabled is what a disabled device is told as it is disconnected.
var textDisabled = floorgate.Text{
	EN: "This device was disabled by the site admin. Ask your supervisor.",
	ZH: "此设备已被管理员停用，请联系主管。"}

// Disconnect closes the device's connection, if it has one, telling it it
// was disabled (close code 4401). The Floor refuses its next hello.
func (s *Server) Disconnect(device string) {
	s.mu.Lock()
	c := s.devices[device]
	s.mu.Unlock()
	if c == nil {
		return
	}
	if b, err := json.Marshal(errorMsg{Type: typeError, Code: floorgate.EUNAUTHORIZED, Message: textDisabled}); err == nil {
		c.offer(b)
	}
	c.kill(CloseUnauthorized, "device disabled")
}
