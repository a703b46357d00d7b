package ws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/gorilla/websocket"
)

// conn is one device connection. Its reader is the goroutine running
// serve, and while the connection is idle that is all that runs for it:
// what is to be written (replies, pushes, pings, pongs, the close frame) is
// put on the connection under wmu, and a writer goroutine is started when
// there is something and no writer is running; it ends when nothing is
// left. An answer with nothing owed before it is written by the handler
// itself, as the writer for that moment (writeNow), so a verdict leaves
// without a goroutine to start. At most one writer runs at a time, so
// messages leave in the order they were queued, and a slow device holds
// up nobody but itself.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	remote string
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	// Guarded by wmu: what the writer owes the device.
	wmu      sync.Mutex
	queue    [][]byte // encoded text messages, in order
	pong     string   // the payload of the pong owed, if pongOwed
	pongOwed bool
	pingDue  bool
	writing  bool        // a writer is running (from the kill on: for good)
	ping     *time.Timer // sets pingDue every PingInterval
	// room is signalled each time the writer takes a message off the
	// queue, for a reader waiting on a full queue.
	room chan struct{}

	// quit is closed by kill, once; frame is the close frame the writer
	// sends before hanging up (code 0: none, the connection is broken).
	killOnce sync.Once
	quit     chan struct{}
	frame    closeFrame

	readerDone chan struct{}
	writerDone chan struct{}

	// early holds the pushes raised while the hello is at the Floor;
	// guarded by s.mu.
	early [][]byte

	// seen is when the device last sent a message (the server's clock,
	// unix nanoseconds), for the status page.
	seen atomic.Int64

	// Reader-only state (the handler of a message uses it while the
	// reader waits).
	tokens  float64   // the rate limit's bucket
	refill  time.Time // when tokens was last topped up
	device  string    // set by a successful hello
	helloOK bool
	req     request
	lr      io.LimitedReader
	handled chan struct{} // a message's handler is done with it
	reason  string        // why the connection ended, for the log
}

type closeFrame struct {
	code   int
	reason string
}

func newConn(s *Server, ws *websocket.Conn, remote string) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	c := &conn{
		s:          s,
		ws:         ws,
		remote:     remote,
		log:        s.log.With("remote", remote),
		ctx:        ctx,
		cancel:     cancel,
		room:       make(chan struct{}, 1),
		handled:    make(chan struct{}),
		quit:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	// Control frames are answered by the writer, like everything else.
	ws.SetPingHandler(func(app string) error {
		c.alive()
		c.wmu.Lock()
		// A pong already owed is replaced: one answers both.
		c.pong, c.pongOwed = app, true
		c.wake()
		c.wmu.Unlock()
		return nil
	})
	ws.SetPongHandler(func(string) error {
		c.alive()
		return nil
	})
	ws.SetCloseHandler(func(int, string) error { return nil })
	c.wmu.Lock() // pingTick reads c.ping under wmu
	c.ping = time.AfterFunc(s.opts.PingInterval, c.pingTick)
	c.wmu.Unlock()
	return c
}

// pingTick asks the writer for a ping and sets the next one.
func (c *conn) pingTick() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing() {
		return
	}
	c.pingDue = true
	c.wake()
	c.ping.Reset(c.s.opts.PingInterval)
}

// wake starts a writer unless one is running. The caller holds wmu.
func (c *conn) wake() {
	if c.writing {
		return
	}
	c.writing = true
	c.s.wg.Add(1) // the connection's reader holds the count above zero
	go c.writer()
}

// kill asks the writer to send a close frame with code and reason, after
// the messages already queued, and hang up; code 0 hangs up without a frame
// (the connection is broken). Only the first call counts.
func (c *conn) kill(code int, reason string) {
	c.killOnce.Do(func() {
		c.frame = closeFrame{code: code, reason: reason}
		c.wmu.Lock()
		close(c.quit)
		c.ping.Stop()
		c.wake()
		c.wmu.Unlock()
	})
}

func (c *conn) closing() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// enqueue sends b, an answer of the connection's reader or handler: at
// once (writeNow) when nothing is owed before it, else through the writer,
// waiting while the queue is full (the device is slow to read: that slows
// its own requests, nobody else's). Once the connection is closing nothing
// more is queued: an answer that misses the close frame is resent for by
// the device after reconnecting.
func (c *conn) enqueue(b []byte) {
	if c.writeNow(b) {
		return
	}
	for !c.offer(b) {
		select {
		case <-c.room:
		case <-c.quit:
			return
		}
	}
}

// writeNow writes b in the calling goroutine when no writer runs and
// nothing is owed before b, and reports whether it did: a verdict leaves
// without a writer goroutine to start and switch to. For the time of the
// write it is the connection's writer (writing is set), so nothing else
// writes and what is owed meanwhile is left to a writer started after it.
// Only the connection's own reader and handler may call it: the reader
// waits for them anyway, while a push comes from a goroutine (a commit)
// that must never wait on one device's socket.
func (c *conn) writeNow(b []byte) bool {
	c.wmu.Lock()
	if c.writing || c.owed() {
		c.wmu.Unlock()
		return false
	}
	c.writing = true
	c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.kill(0, "")
		c.ws.Close()
	}
	c.wmu.Lock()
	c.writing = false
	if c.owed() {
		c.wake()
	}
	c.wmu.Unlock()
	return true
}

// owed reports whether the writer has something to do: a message, a pong,
// a ping or the hang-up. The caller holds wmu.
func (c *conn) owed() bool {
	return len(c.queue) > 0 || c.pongOwed || c.pingDue || c.closing()
}

// offer hands b to the writer unless that would wait.
func (c *conn) offer(b []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closing() || len(c.queue) >= c.s.opts.SendQueue {
		return false
	}
	c.queue = append(c.queue, b)
	c.wake()
	return true
}

// alive pushes the read deadline out after anything arrives from a device
// that has said hello; before that only the hello timeout counts.
func (c *conn) alive() {
	if c.helloOK {
		c.ws.SetReadDeadline(time.Now().Add(c.s.pongWait))
	}
}

// writer writes what is owed, pongs and pings first, until nothing is
// left; once the connection is killed it hangs up instead.
func (c *conn) writer() {
	defer c.s.wg.Done()
	for {
		c.wmu.Lock()
		if c.closing() {
			c.wmu.Unlock()
			c.hangUp()
			return
		}
		var err error
		deadline := time.Now().Add(c.s.opts.WriteTimeout)
		switch {
		case c.pongOwed:
			app := c.pong
			c.pong, c.pongOwed = "", false
			c.wmu.Unlock()
			err = c.ws.WriteControl(websocket.PongMessage, []byte(app), deadline)
		case c.pingDue:
			c.pingDue = false
			c.wmu.Unlock()
			err = c.ws.WriteControl(websocket.PingMessage, nil, deadline)
		case len(c.queue) > 0:
			b := c.queue[0]
			c.queue[0] = nil
			if c.queue = c.queue[1:]; len(c.queue) == 0 {
				c.queue = nil // an idle connection keeps no queue
			}
			c.wmu.Unlock()
			select {
			case c.room <- struct{}{}:
			default:
			}
			c.ws.SetWriteDeadline(deadline)
			err = c.ws.WriteMessage(websocket.TextMessage, b)
		default:
			c.writing = false
			c.wmu.Unlock()
			return
		}
		if err != nil {
			c.kill(0, "")
			c.ws.Close()
		}
	}
}

// hangUp flushes what is queued, sends the close frame, gives the device a
// moment to answer it, and closes the TCP connection.
func (c *conn) hangUp() {
	defer close(c.writerDone)
	defer c.cancel()
	f := c.frame
	if f.code == 0 {
		c.ws.Close()
		return
	}
	deadline := time.Now().Add(c.s.opts.WriteTimeout)
	c.ws.SetWriteDeadline(deadline)
	c.wmu.Lock()
	queued := c.queue
	c.queue = nil
	c.wmu.Unlock()
	var err error
	for _, b := range queued {
		if err = c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
			break
		}
	}
	if err == nil {
		err = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(f.code, f.reason), deadline)
	}
	if err == nil {
		t := time.NewTimer(closeGrace)
		select {
		case <-c.readerDone:
		case <-t.C:
		}
		t.Stop()
	}
	c.ws.Close()
}

func (c *conn) readLoop() {
	c.ws.SetReadDeadline(time.Now().Add(c.s.opts.HelloTimeout))
	limit := c.s.opts.ReadLimit
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			c.readFailed(err)
			return
		}
		if c.closing() {
			// Keep reading (and discarding) until the device answers our
			// close frame, so the frames before it reach the device.
			continue
		}
		// The message is read into a pooled buffer, given back once it
		// is answered: an idle connection holds none.
		buf := msgBufs.Get().(*bytes.Buffer)
		buf.Reset()
		c.lr = io.LimitedReader{R: r, N: limit + 1}
		n, err := buf.ReadFrom(&c.lr)
		c.lr.R = nil
		if err != nil {
			msgBufs.Put(buf)
			c.readFailed(err)
			return
		}
		if n > limit {
			msgBufs.Put(buf)
			c.setReason("message too big")
			c.kill(websocket.CloseMessageTooBig, "message too big")
			continue
		}
		c.alive()
		c.seen.Store(c.s.clock.Now().UnixNano())
		if !c.allow() {
			msgBufs.Put(buf)
			c.setReason("flood")
			c.log.Warn("device sends too many messages: closed", "max_per_s", c.s.opts.MaxRate)
			c.kill(websocket.ClosePolicyViolation, "too many messages")
			continue
		}
		// The message is handled on a goroutine of its own while the
		// reader waits: answering may go deep (JSON, the Floor, logging)
		// and a goroutine's stack, once grown, stays grown while it is
		// parked as deep as a reader is. The reader's stays the size of a
		// read, which is what an idle PDA then holds.
		go func() {
			c.handle(mt, buf.Bytes())
			c.handled <- struct{}{}
		}()
		<-c.handled
		if buf.Cap() <= maxPooledMsg {
			msgBufs.Put(buf)
		}
	}
}

// msgBufs holds the buffers messages are read into; decoding copies what
// it keeps, so a buffer is free again once its message is answered.
var msgBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledMsg is the largest buffer put back in msgBufs: the rare large
// message does not pin its buffer in the pool.
const maxPooledMsg = 16 << 10

// allow takes a token from the connection's bucket: MaxRate per second,
// holding at most twice that.
func (c *conn) allow() bool {
	rate := c.s.opts.MaxRate
	if rate <= 0 {
		return true
	}
	now := c.s.opts.Now()
	if c.refill.IsZero() {
		c.tokens = 2 * rate
	} else {
		c.tokens = min(2*rate, c.tokens+now.Sub(c.refill).Seconds()*rate)
	}
	c.refill = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

func (c *conn) readFailed(err error) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		// Answer the device's close frame with its own code.
		code := ce.Code
		if code == websocket.CloseNoStatusReceived {
			code = websocket.CloseNormalClosure
		}
		c.setReason("closed by device")
		c.kill(code, "")
	case !c.helloOK && errors.As(err, &ne) && ne.Timeout():
		c.setReason("no hello")
		c.fatal(floorgate.EINVALID, textHelloTimeout, CloseInvalid, "hello timeout")
	default:
		if errors.As(err, &ne) && ne.Timeout() {
			c.setReason("timeout: no message or pong")
		} else {
			c.setReason(err.Error())
		}
		c.kill(0, "")
	}
}

func (c *conn) setReason(r string) {
	if c.reason == "" {
		c.reason = r
	}
}

// handle answers one message. It runs while the reader waits for it, so
// requests are answered one at a time and in order.
func (c *conn) handle(mt int, data []byte) {
	at := c.s.clock.Now()
	req := &c.req
	*req = request{}
	var jsonErr error
	if mt == websocket.TextMessage {
		jsonErr = decodeRequest(data, req)
	} else {
		jsonErr = errors.New("binary frame")
	}

	if !c.helloOK {
		c.hello(req, jsonErr)
		return
	}
	if jsonErr != nil {
		c.malformed(req, textNotJSON)
		return
	}
	switch req.Type {
	case typeScan:
		c.scan(req, at)
	case typeLogin:
		c.login(req)
	case typeLogout:
		c.logout(req)
	case typeNext:
		c.next(req)
	case typeShort:
		c.short(req)
	case typeException:
		c.exception(req)
	case typeStation:
		c.station(req)
	case typeHello:
		c.sendError(floorgate.EINVALID, textAgainHello)
	default:
		c.malformed(req, textUnknownType)
	}
}

func (c *conn) hello(req *request, jsonErr error) {
	switch {
	case jsonErr != nil || req.Type != typeHello:
		c.reason = "first message not a hello"
		c.fatal(floorgate.EINVALID, textNoHello, CloseInvalid, "hello required")
		return
	case req.Protocol != ProtocolVersion:
		c.reason = "unsupported protocol"
		c.fatal(floorgate.EINVALID, textProtocol, CloseUnsupportedProtocol, "unsupported protocol")
		return
	case req.Device == "" || req.Token == "" || len(req.Device) > MaxIDLen:
		c.reason = "incomplete hello"
		c.fatal(floorgate.EINVALID, textBadHello, CloseInvalid, "bad hello")
		return
	}

	c.s.beginHello(c, req.Device)
	w, err := c.s.floor.Hello(c.ctx, req.Device, req.Token, req.Model)
	if err != nil {
		c.s.endHello(c, req.Device)
		code, text := errorText(err)
		closeCode := CloseInvalid
		switch code {
		case floorgate.EUNAUTHORIZED:
			closeCode = CloseUnauthorized
			c.log.Warn("pda hello refused", "device", req.Device, "model", req.Model, "err", err)
		case floorgate.EINVALID, floorgate.ENOTFOUND, floorgate.ECONFLICT:
			c.log.Warn("pda hello refused", "device", req.Device, "model", req.Model, "err", err)
		default:
			closeCode = websocket.CloseTryAgainLater
			c.log.Error("pda hello failed", "device", req.Device, "err", err)
		}
		c.reason = "hello refused: " + code
		c.fatal(code, text, closeCode, code)
		return
	}

	b, err := json.Marshal(welcomeMsg{
		Type:       typeWelcome,
		Protocol:   ProtocolVersion,
		Welcome:    w,
		ServerTime: c.s.clock.Now(),
	})
	if err != nil {
		c.s.endHello(c, req.Device)
		c.log.Error("encode welcome", "err", err)
		c.fatal(floorgate.EINTERNAL, errorTexts[floorgate.EINTERNAL], websocket.CloseTryAgainLater, "internal")
		return
	}
	c.device = req.Device
	c.helloOK = true
	c.log = c.s.log.With("device", c.device, "remote", c.remote)
	c.alive()
	c.s.admit(c, b)
	c.log.Info("pda connected", "model", req.Model, "app", req.App, "operator", w.Operator)
}

func (c *conn) scan(req *request, at time.Time) {
	if req.ScanID == "" {
		c.sendError(floorgate.EINVALID, textNoID)
		return
	}
	var dt time.Time
	if req.DeviceTime != "" {
		var err error
		if dt, err = time.Parse(time.RFC3339, req.DeviceTime); err != nil {
			c.badScan(req.ScanID)
			return
		}
	}
	if req.Data == "" || len(req.Data) > MaxDataLen || len(req.ScanID) > MaxIDLen ||
		req.Qty < 0 || req.DistanceMM < 0 {
		c.badScan(req.ScanID)
		return
	}
	v, err := c.s.floor.Scan(c.ctx, floorgate.Scan{
		ID:         req.ScanID,
		Device:     c.device,
		Data:       req.Data,
		AIM:        req.AIM,
		Qty:        req.Qty,
		DistanceMM: req.DistanceMM,
		Geometry:   req.Geometry,
		DeviceTime: dt,
		At:         at,
	})
	if err != nil {
		c.floorFailed("scan", req.ScanID, err)
		v = floorgate.NewVerdict(req.ScanID, floorgate.CodeUnavailable, floorgate.Prompt{})
	}
	c.sendVerdict(v, req.ScanID)
	if f := c.s.opts.OnVerdict; f != nil {
		f(v, c.s.clock.Now().Sub(at))
	}
}

// checkID answers a request whose id is missing or too long and reports
// whether the request may go on.
func (c *conn) checkID(id string) bool {
	if id == "" {
		c.sendError(floorgate.EINVALID, textNoID)
		return false
	}
	if len(id) > MaxIDLen {
		c.badScan(id)
		return false
	}
	return true
}

func (c *conn) login(req *request) {
	if !c.checkID(req.ID) {
		return
	}
	v, err := c.s.floor.Login(c.ctx, c.device, req.ID, req.Badge, req.PIN)
	if err != nil {
		c.floorFailed("login", req.ID, err)
		v = floorgate.NewVerdict(req.ID, floorgate.CodeUnavailable, floorgate.Prompt{})
	}
	c.sendVerdict(v, req.ID)
}

func (c *conn) logout(req *request) {
	// On failure a verdict, not logged_out: the operator is still logged in.
	c.promptRequest(req, "logout", typeLoggedOut, c.s.floor.Logout)
}

// next asks for the picker's next task, after a cancelled one or while
// waiting; the answer is a task frame with the prompt.
func (c *conn) next(req *request) {
	c.promptRequest(req, "next", typeTask, c.s.floor.Next)
}

// promptRequest handles a request answered with a prompt: it calls the
// Floor and sends a frame of type reply, or an unavailable verdict when the
// Floor could not do it.
func (c *conn) promptRequest(req *request, op, reply string, call func(context.Context, string) (floorgate.Prompt, error)) {
	if !c.checkID(req.ID) {
		return
	}
	p, err := call(c.ctx, c.device)
	if err != nil {
		c.floorFailed(op, req.ID, err)
		c.sendVerdict(floorgate.NewVerdict(req.ID, floorgate.CodeUnavailable, floorgate.Prompt{}), req.ID)
		return
	}
	c.sendJSON(promptMsg{Type: reply, ID: req.ID, Prompt: p})
}

// station sets the pack station the device stands at; the answer is a
// station frame, or a verdict when the name is not one of the site's
// (unknown_station) or the gateway could not record it (unavailable).
func (c *conn) station(req *request) {
	if !c.checkID(req.ID) {
		return
	}
	// A name longer than any station's is unknown without asking.
	var err error = floorgate.Errorf(floorgate.ENOTFOUND, "no pack station that long")
	if len(req.Station) <= MaxIDLen {
		err = c.s.floor.SetStation(c.ctx, c.device, req.Station)
	}
	switch {
	case floorgate.ErrorCode(err) == floorgate.ENOTFOUND:
		c.sendVerdict(floorgate.NewVerdict(req.ID, floorgate.CodeUnknownStation, floorgate.Prompt{}), req.ID)
	case err != nil:
		c.floorFailed("station", req.ID, err)
		c.sendVerdict(floorgate.NewVerdict(req.ID, floorgate.CodeUnavailable, floorgate.Prompt{}), req.ID)
	default:
		c.log.Info("pda station set", "station", req.Station)
		c.sendJSON(stationMsg{Type: typeStation, ID: req.ID, Station: req.Station})
	}
}

func (c *conn) short(req *request) {
	if req.ScanID == "" {
		c.sendError(floorgate.EINVALID, textNoID)
		return
	}
	if req.Found < 0 || len(req.ScanID) > MaxIDLen {
		c.badScan(req.ScanID)
		return
	}
	if len(req.Reason) > MaxIDLen || len(req.Note) > floorgate.MaxExceptionNote {
		c.badScan(req.ScanID)
		return
	}
	c.raise(req, floorgate.Raise{Plain: true, Reason: floorgate.ExceptionReason(req.Reason), Found: req.Found, Note: req.Note})
}

// exception raises a reason-coded exception: at the pack station on the
// open parcel (data: the item concerned, qty: its units), at a pick line
// as a short with found. Its reason is required.
func (c *conn) exception(req *request) {
	if req.ScanID == "" {
		c.sendError(floorgate.EINVALID, textNoID)
		return
	}
	if req.Found < 0 || req.Qty < 0 || len(req.ScanID) > MaxIDLen || len(req.Reason) > MaxIDLen ||
		len(req.Note) > floorgate.MaxExceptionNote || len(req.Data) > MaxDataLen {
		c.badScan(req.ScanID)
		return
	}
	c.raise(req, floorgate.Raise{Reason: floorgate.ExceptionReason(req.Reason), Found: req.Found,
		Data: req.Data, AIM: req.AIM, Qty: req.Qty, Note: req.Note})
}

func (c *conn) raise(req *request, r floorgate.Raise) {
	v, err := c.s.floor.Raise(c.ctx, c.device, req.ScanID, r)
	if err != nil {
		c.floorFailed(req.Type, req.ScanID, err)
		v = floorgate.NewVerdict(req.ScanID, floorgate.CodeUnavailable, floorgate.Prompt{})
	}
	c.sendVerdict(v, req.ScanID)
}

// floorFailed logs a fault of the Floor; the device only ever hears
// "unavailable". A call cancelled because the connection or the server is
// closing is not a fault.
func (c *conn) floorFailed(op, id string, err error) {
	if c.ctx.Err() != nil {
		c.log.Info("floor call cancelled: connection closing", "op", op, "id", id, "err", err)
		return
	}
	c.log.Error("floor call failed", "op", op, "id", id, "err", err)
}

// malformed answers a message that could not be used: with a bad_scan
// verdict when it carried an id the device is waiting on, else with an error.
func (c *conn) malformed(req *request, text floorgate.Text) {
	if id := req.reqID(); id != "" {
		c.badScan(id)
		return
	}
	c.sendError(floorgate.EINVALID, text)
}

// badScan answers request id with a bad_scan verdict: the message was
// unusable and nothing was recorded.
func (c *conn) badScan(id string) {
	c.sendVerdict(floorgate.NewVerdict(id, floorgate.CodeBadScan, floorgate.Prompt{}), id)
}

// sendVerdict sends v as the answer to request id: the id on the wire is
// always the request's, whatever the Floor put in the verdict.
func (c *conn) sendVerdict(v floorgate.Verdict, id string) {
	v.ScanID = id
	c.enqueue(appendVerdictMsg(make([]byte, 0, 512), v))
}

func (c *conn) sendError(code string, text floorgate.Text) {
	c.sendJSON(errorMsg{Type: typeError, Code: code, Message: text})
}

// fatal sends an error frame, then closes the connection with closeCode.
func (c *conn) fatal(code string, text floorgate.Text, closeCode int, reason string) {
	c.sendError(code, text)
	c.kill(closeCode, reason)
}

func (c *conn) sendJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every message is plain fields; this is a programming error.
		c.log.Error("encode message", "err", err)
		return
	}
	c.enqueue(b)
}
