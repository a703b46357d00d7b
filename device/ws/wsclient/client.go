// Package wsclient is a small Go client of floorgate's PDA protocol v1
// (docs/pda-protocol.md), for the device simulator, the benchmark and tests.
//
// It is a wire client and nothing more: it keeps no floor state, does not
// reconnect, and does not resend unanswered scans — a caller that needs those
// (as a real PDA app does) builds them on Done, Err and its own scan ids.
// It is lean so that hundreds of clients fit in one process: one reader
// goroutine per client, no goroutine per request.
package wsclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/floorgate/floorgate/internal/jsonlex"
	"github.com/gorilla/websocket"
)

// PushBuffer is how many pushes wait in Pushes; when it is full the oldest
// is dropped to make room.
const PushBuffer = 16

// closeWait bounds how long Close waits for the server's close frame.
const closeWait = time.Second

// ErrClosed is returned by requests on a client that Close has closed.
var ErrClosed = errors.New("wsclient: closed")

// CloseError is how the connection ended when the server closed it: the
// close code and reason, and the fatal error frame sent just before it, if
// any (nil for a plain close such as 1001 going away or 4409 replaced).
type CloseError struct {
	Code   int
	Reason string
	Err    *floorgate.Error
}

func (e *CloseError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("wsclient: closed by server (%d %s): %s", e.Code, e.Reason, e.Err.Message)
	}
	return fmt.Sprintf("wsclient: closed by server (%d %s)", e.Code, e.Reason)
}

// Unwrap lets errors.As find the *floorgate.Error behind a fatal close.
func (e *CloseError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// frame is every server message: the union of all fields, decoded once.
type frame struct {
	Type string `json:"type"`
	floorgate.Verdict
	// welcome
	Protocol   int       `json:"protocol"`
	Site       string    `json:"site"`
	Gateway    string    `json:"gateway"`
	Operator   string    `json:"operator"`
	ServerTime time.Time `json:"server_time"`
	Stations   []string  `json:"stations"`
	// welcome, station
	Station string `json:"station"`
	// logged_out
	ID string `json:"id"`
	// push
	Kind string             `json:"kind"`
	Task string             `json:"task"`
	Push *floorgate.Verdict `json:"verdict"`
	// error: code and message are the verdict's fields
}

type reply struct {
	verdict   floorgate.Verdict
	prompt    floorgate.Prompt
	loggedOut bool
	task      bool
	station   bool
	err       error
}

// Client is one device connection. Its methods are safe for concurrent use;
// requests are sent one at a time, each waiting for its answer.
type Client struct {
	ws     *websocket.Conn
	device string

	reqMu sync.Mutex // one request in flight

	mu      sync.Mutex
	want    string // id of the request in flight, "" when none
	lastErr *floorgate.Error
	replies chan reply // capacity 1: at most one request in flight

	pushes chan floorgate.Notice
	done   chan struct{}
	err    error // why the connection ended; set before done is closed

	closeOnce sync.Once
	closed    bool // set under mu by Close
}

// Dial connects to url (ws://host:port/ws/v1), says hello as device with its
// token, and returns the client and the gateway's welcome. A refused hello
// is returned as a *CloseError wrapping the server's *floorgate.Error.
func Dial(ctx context.Context, url, device, token, model string) (*Client, floorgate.Welcome, error) {
	return DialTLS(ctx, url, device, token, model, nil)
}

// DialTLS is Dial with the TLS configuration for a wss:// url (nil: the
// system's roots).
func DialTLS(ctx context.Context, url, device, token, model string, tc *tls.Config) (*Client, floorgate.Welcome, error) {
	d := websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 10 * time.Second,
		TLSClientConfig:  tc,
	}
	conn, _, err := d.DialContext(ctx, url, nil)
	if err != nil {
		return nil, floorgate.Welcome{}, fmt.Errorf("dial %s: %w", url, err)
	}
	// Until the welcome, ctx bounds every read and write.
	stop := context.AfterFunc(ctx, func() {
		conn.SetReadDeadline(time.Now())
		conn.SetWriteDeadline(time.Now())
	})
	w, err := hello(conn, device, token, model)
	if !stop() || err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, floorgate.Welcome{}, fmt.Errorf("hello: %w", ctx.Err())
		}
		return nil, floorgate.Welcome{}, err
	}
	conn.SetWriteDeadline(time.Time{})
	conn.SetReadDeadline(time.Time{})
	conn.SetReadLimit(1 << 20)

	c := &Client{
		ws:      conn,
		device:  device,
		replies: make(chan reply, 1),
		pushes:  make(chan floorgate.Notice, PushBuffer),
		done:    make(chan struct{}),
	}
	go c.readLoop()
	return c, w, nil
}

func hello(conn *websocket.Conn, device, token, model string) (floorgate.Welcome, error) {
	b, err := json.Marshal(struct {
		Type     string `json:"type"`
		Device   string `json:"device"`
		Token    string `json:"token"`
		Model    string `json:"model,omitempty"`
		App      string `json:"app"`
		Protocol int    `json:"protocol"`
	}{"hello", device, token, model, "wsclient " + floorgate.Version, ws.ProtocolVersion})
	if err != nil {
		return floorgate.Welcome{}, fmt.Errorf("hello: %w", err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
		return floorgate.Welcome{}, fmt.Errorf("hello: %w", err)
	}
	var fatal *floorgate.Error
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return floorgate.Welcome{}, fmt.Errorf("hello: %w", closeError(err, fatal))
		}
		var f frame
		if err := decodeFrame(data, &f); err != nil {
			return floorgate.Welcome{}, fmt.Errorf("hello: bad frame from server: %w", err)
		}
		switch f.Type {
		case "welcome":
			return floorgate.Welcome{Site: f.Site, Gateway: f.Gateway, Operator: f.Operator, Prompt: f.Prompt,
				Station: f.Station, Stations: f.Stations}, nil
		case "error":
			// The close frame follows; report both.
			fatal = &floorgate.Error{Code: string(f.Code), Message: f.Message.EN}
		}
	}
}

// closeError turns a read error into a *CloseError when the server closed
// the connection, with the error frame that preceded the close.
func closeError(err error, fatal *floorgate.Error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: ce.Code, Reason: ce.Text, Err: fatal}
	}
	return err
}

// Device is the device id the client said hello as.
func (c *Client) Device() string { return c.device }

// Pushes delivers the server's pushes (task cancelled, task assigned). It is
// closed when the connection ends.
func (c *Client) Pushes() <-chan floorgate.Notice { return c.pushes }

// Next asks for the picker's next task — after a cancelled one, or while
// waiting — and returns the prompt that follows; id is the request's id.
func (c *Client) Next(ctx context.Context, id string) (floorgate.Prompt, error) {
	r, err := c.roundTrip(ctx, id, struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}{"next", id})
	if err != nil {
		return floorgate.Prompt{}, err
	}
	if !r.task {
		return floorgate.Prompt{}, &floorgate.Error{Code: floorgate.EUNAVAILABLE, Message: r.verdict.Message.EN}
	}
	return r.prompt, nil
}

// SetStation sets the pack station the device stands at, by name ("":
// none); id is the request's id. A name the site does not have is a
// *floorgate.Error with code not_found; a gateway that could not record it,
// unavailable.
func (c *Client) SetStation(ctx context.Context, id, station string) error {
	r, err := c.roundTrip(ctx, id, struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Station string `json:"station"`
	}{"station", id, station})
	if err != nil {
		return err
	}
	switch {
	case r.station:
		return nil
	case r.verdict.Code == floorgate.CodeUnknownStation:
		return &floorgate.Error{Code: floorgate.ENOTFOUND, Message: r.verdict.Message.EN}
	}
	return &floorgate.Error{Code: floorgate.EUNAVAILABLE, Message: r.verdict.Message.EN}
}

// Done is closed when the connection has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (a *CloseError when the server closed
// it), or nil while it is open.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Login logs an operator in with a badge and PIN; id is the request's id,
// chosen by the caller and echoed as the verdict's ScanID. A refused badge
// or PIN is a verdict (bad_login, login_locked), not an error.
func (c *Client) Login(ctx context.Context, id, badge, pin string) (floorgate.Verdict, error) {
	r, err := c.roundTrip(ctx, id, struct {
		Type  string `json:"type"`
		ID    string `json:"id"`
		Badge string `json:"badge"`
		PIN   string `json:"pin"`
	}{"login", id, badge, pin})
	return r.verdict, err
}

// Logout logs the operator out and returns the prompt that follows. When the
// gateway cannot do it, the error is a *floorgate.Error with the verdict's
// message.
func (c *Client) Logout(ctx context.Context, id string) (floorgate.Prompt, error) {
	r, err := c.roundTrip(ctx, id, struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}{"logout", id})
	if err != nil {
		return floorgate.Prompt{}, err
	}
	if !r.loggedOut {
		code := floorgate.EUNAVAILABLE
		if r.verdict.Code == floorgate.CodeBadScan {
			code = floorgate.EINVALID
		}
		return floorgate.Prompt{}, &floorgate.Error{Code: code, Message: r.verdict.Message.EN}
	}
	return r.prompt, nil
}

// Scan sends one scan and returns its verdict. The caller chooses sc.ID and
// must send the same ID again to retry the same read; sc.Device and sc.At
// are ignored (the server sets them).
func (c *Client) Scan(ctx context.Context, sc floorgate.Scan) (floorgate.Verdict, error) {
	var msg any = scanMsg{"scan", sc}
	if b, ok := appendScanMsg(make([]byte, 0, 256), sc); ok {
		msg = b
	}
	r, err := c.roundTrip(ctx, sc.ID, msg)
	return r.verdict, err
}

// scanMsg is the scan request as encoding/json writes it.
type scanMsg struct {
	Type string `json:"type"`
	floorgate.Scan
}

// appendScanMsg writes the scan request by hand, byte for byte as
// encoding/json writes scanMsg, for the common form; it reports false for
// a scan with geometry or a device time, which go through encoding/json.
func appendScanMsg(b []byte, sc floorgate.Scan) ([]byte, bool) {
	if sc.Geometry != nil || !sc.DeviceTime.IsZero() {
		return nil, false
	}
	b = append(b, `{"type":"scan","scan_id":`...)
	b = jsonlex.AppendString(b, sc.ID)
	b = append(b, `,"data":`...)
	b = jsonlex.AppendString(b, sc.Data)
	if sc.AIM != "" {
		b = append(b, `,"aim":`...)
		b = jsonlex.AppendString(b, sc.AIM)
	}
	if sc.Qty != 0 {
		b = append(b, `,"qty":`...)
		b = strconv.AppendInt(b, int64(sc.Qty), 10)
	}
	if sc.DistanceMM != 0 {
		b = append(b, `,"distance_mm":`...)
		var ok bool
		if b, ok = jsonlex.AppendFloat(b, sc.DistanceMM); !ok {
			return nil, false
		}
	}
	return append(b, '}'), true
}

// Short reports that the current line's bin held only found units; scanID
// identifies the report like a scan's id.
func (c *Client) Short(ctx context.Context, scanID string, found int) (floorgate.Verdict, error) {
	r, err := c.roundTrip(ctx, scanID, struct {
		Type   string `json:"type"`
		ScanID string `json:"scan_id"`
		Found  int    `json:"found"`
	}{"short", scanID, found})
	return r.verdict, err
}

// ShortFor is Short with a reason code (short_bin_empty, short_count_wrong,
// damaged, wrong_item_in_bin, label_unreadable) and an optional note.
func (c *Client) ShortFor(ctx context.Context, scanID string, found int, reason floorgate.ExceptionReason, note string) (floorgate.Verdict, error) {
	r, err := c.roundTrip(ctx, scanID, struct {
		Type   string `json:"type"`
		ScanID string `json:"scan_id"`
		Found  int    `json:"found"`
		Reason string `json:"reason"`
		Note   string `json:"note,omitempty"`
	}{"short", scanID, found, string(reason), note})
	return r.verdict, err
}

// Exception raises a reason-coded exception on the parcel open at the pack
// station: data is the barcode of the item concerned ("" when none was
// scanned), qty its units (0: one, or every unit missing).
func (c *Client) Exception(ctx context.Context, scanID string, reason floorgate.ExceptionReason, data string, qty int, note string) (floorgate.Verdict, error) {
	r, err := c.roundTrip(ctx, scanID, struct {
		Type   string `json:"type"`
		ScanID string `json:"scan_id"`
		Reason string `json:"reason"`
		Data   string `json:"data,omitempty"`
		Qty    int    `json:"qty,omitempty"`
		Note   string `json:"note,omitempty"`
	}{"exception", scanID, string(reason), data, qty, note})
	return r.verdict, err
}

// roundTrip sends msg and waits for the answer carrying id.
func (c *Client) roundTrip(ctx context.Context, id string, msg any) (reply, error) {
	if id == "" {
		return reply{}, floorgate.Errorf(floorgate.EINVALID, "a request needs an id")
	}
	b, ok := msg.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(msg); err != nil {
			return reply{}, fmt.Errorf("encode request: %w", err)
		}
	}
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	select {
	case <-c.done:
		return reply{}, c.err
	default:
	}

	c.mu.Lock()
	c.want = id
	c.mu.Unlock()
	dl, _ := ctx.Deadline()
	c.ws.SetWriteDeadline(dl)
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.abandon()
		return reply{}, fmt.Errorf("send: %w", err)
	}
	select {
	case r := <-c.replies:
		return r, r.err
	case <-c.done:
		select {
		case r := <-c.replies: // answered just before the end
			return r, r.err
		default:
		}
		c.abandon()
		return reply{}, c.err
	case <-ctx.Done():
		c.abandon()
		return reply{}, ctx.Err()
	}
}

// abandon forgets the request in flight, and its answer if it came anyway,
// so the next request starts clean.
func (c *Client) abandon() {
	c.mu.Lock()
	c.want = ""
	c.mu.Unlock()
	select {
	case <-c.replies:
	default:
	}
}

// deliver hands r to the request in flight if it is the one with id (or to
// any request in flight when id is "": an error frame carries no id).
func (c *Client) deliver(id string, r reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.want == "" || (id != "" && id != c.want) {
		return // the answer to an abandoned request
	}
	c.want = ""
	c.replies <- r
}

func (c *Client) push(n floorgate.Notice) {
	for {
		select {
		case c.pushes <- n:
			return
		default:
		}
		select {
		case <-c.pushes: // drop the oldest
		default:
		}
	}
}

func (c *Client) readLoop() {
	var buf bytes.Buffer
	var fatal *floorgate.Error
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			if closed {
				c.err = ErrClosed
			} else {
				c.err = closeError(err, fatal)
			}
			close(c.done)
			close(c.pushes)
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			continue // the next NextReader reports the failure
		}
		var f frame
		if err := decodeFrame(buf.Bytes(), &f); err != nil {
			continue // not ours to judge; the request times out with its ctx
		}
		if f.Type != "error" {
			fatal = nil // only an error frame right before the close is fatal
		}
		switch f.Type {
		case "verdict":
			c.deliver(f.ScanID, reply{verdict: f.Verdict})
		case "logged_out":
			c.deliver(f.ID, reply{prompt: f.Prompt, loggedOut: true})
		case "task":
			c.deliver(f.ID, reply{prompt: f.Prompt, task: true})
		case "station":
			c.deliver(f.ID, reply{station: true})
		case "push":
			n := floorgate.Notice{Device: c.device, Kind: f.Kind, Task: f.Task}
			if f.Push != nil {
				n.Verdict = *f.Push
			}
			c.push(n)
		case "error":
			e := &floorgate.Error{Code: string(f.Code), Message: f.Message.EN}
			fatal = e
			c.deliver("", reply{err: e})
		}
	}
}

// Close closes the connection politely (1000) and waits for the reader to
// end. It is safe to call more than once.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(closeWait))
		t := time.NewTimer(closeWait)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
		c.ws.Close()
		<-c.done
	})
	return nil
}
