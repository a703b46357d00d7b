package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Options tunes a Printer. Zero values take the defaults.
type Options struct {
	// StatusTimeout bounds one status query: write the query, read the reply.
	// A printer that has not answered by then is reported offline. Default 2s.
	StatusTimeout time.Duration
	// WriteTimeout bounds writing one whole job. A printer that accepts the
	// connection but stops reading ends in a timeout error. Default 30s.
	WriteTimeout time.Duration
}

const (
	defaultStatusTimeout = 2 * time.Second
	defaultWriteTimeout  = 30 * time.Second
)

// NoStatusReply is State.Detail when a printer did not answer a status query in time.
const NoStatusReply = "no status reply"

// Printer is one physical printer. It keeps a single connection open between
// calls and redials after any error. Its methods are safe for concurrent use;
// calls are serialised so one job's status, bytes and status stay together.
type Printer struct {
	id      string
	dialect Dialect
	dial    func(context.Context) (Conn, error)
	opts    Options

	mu   sync.Mutex
	conn Conn
}

// New returns a Printer that reaches the device through dial. It does not dial
// until the first call.
func New(id string, dialect Dialect, dial func(context.Context) (Conn, error), opts Options) *Printer {
	if opts.StatusTimeout <= 0 {
		opts.StatusTimeout = defaultStatusTimeout
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = defaultWriteTimeout
	}
	return &Printer{id: id, dialect: dialect, dial: dial, opts: opts}
}

// ID is the printer's id as given to New.
func (p *Printer) ID() string { return p.id }

// Dialect is the printer's command language.
func (p *Printer) Dialect() Dialect { return p.dialect }

// Close drops the connection, if any. The Printer may still be used; it redials.
func (p *Printer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn = nil
	if err != nil {
		return fmt.Errorf("close %s: %w", p.id, err)
	}
	return nil
}

// Status asks the printer for its state. A printer that cannot be reached
// returns an error (and a State that is not Online); one that is reached but
// does not answer in Options.StatusTimeout returns
// State{Online: false, Detail: "no status reply"} and no error.
func (p *Printer) Status(ctx context.Context) (State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, err := p.statusLocked(ctx)
	if err != nil {
		return st, fmt.Errorf("status %s: %w", p.id, err)
	}
	return st, nil
}

// Send writes a whole job to the printer, bounded by Options.WriteTimeout and
// ctx. It does not look at the printer's state; Print does.
func (p *Printer) Send(ctx context.Context, job []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.sendLocked(ctx, job); err != nil {
		return fmt.Errorf("send %s: %w", p.id, err)
	}
	return nil
}

// Print polls status, sends the job only if the printer is ready, and polls
// status again. A printer that is not ready gets nothing and Print returns a
// *FaultError matching ErrNotReady; a fault that appears after the job is a
// *FaultError matching ErrFaultAfter, and no answer after it an error
// matching ErrUnconfirmed. The returned State is the latest known.
func (p *Printer) Print(ctx context.Context, job []byte) (State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before, err := p.statusLocked(ctx)
	if err != nil {
		return before, fmt.Errorf("print %s: status before: %w", p.id, err)
	}
	if before.Fault() != "" {
		return before, &FaultError{Printer: p.id, State: before}
	}
	if err := p.sendLocked(ctx, job); err != nil {
		return before, fmt.Errorf("print %s: send: %w", p.id, err)
	}
	after, err := p.statusLocked(ctx)
	if err != nil {
		return after, fmt.Errorf("print %s: status after: %w: %w", p.id, ErrUnconfirmed, err)
	}
	if after.Fault() != "" {
		return after, &FaultError{Printer: p.id, State: after, Sent: true}
	}
	return after, nil
}

// connLocked returns the open connection or dials a new one; fresh reports a new one.
func (p *Printer) connLocked(ctx context.Context) (c Conn, fresh bool, err error) {
	if p.conn != nil {
		return p.conn, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	c, err = p.dial(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("dial: %w", err)
	}
	p.conn = c
	return c, true, nil
}

func (p *Printer) dropLocked() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
	}
}

// deadline is now+d, or ctx's deadline if that comes first.
func deadline(ctx context.Context, d time.Duration) time.Time {
	t := time.Now().Add(d)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		return cd
	}
	return t
}

// guard makes a cancelled ctx interrupt I/O on c by moving its deadline to now.
func guard(ctx context.Context, c Conn) (stop func() bool) {
	return context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
}

func (p *Printer) statusLocked(ctx context.Context) (State, error) {
	for attempt := 0; ; attempt++ {
		c, fresh, err := p.connLocked(ctx)
		if err != nil {
			return State{Detail: "unreachable"}, err
		}
		st, err := p.query(ctx, c)
		if err == nil {
			return st, nil
		}
		p.dropLocked()
		switch {
		case ctx.Err() != nil:
			return State{Detail: "status query cancelled"}, ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return State{Detail: NoStatusReply}, nil
		case fresh || attempt > 0:
			return State{Detail: "status query failed"}, err
		}
		// The kept connection went stale (printer rebooted, link dropped):
		// try once more on a fresh one.
	}
}

func (p *Printer) query(ctx context.Context, c Conn) (State, error) {
	if err := c.SetDeadline(deadline(ctx, p.opts.StatusTimeout)); err != nil {
		return State{}, fmt.Errorf("set deadline: %w", err)
	}
	defer guard(ctx, c)()
	if _, err := c.Write(p.dialect.StatusQuery()); err != nil {
		return State{}, fmt.Errorf("write query: %w", err)
	}
	var buf []byte
	tmp := make([]byte, 256)
	for !p.dialect.replyComplete(buf) {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil && !p.dialect.replyComplete(buf) {
			return State{}, fmt.Errorf("read reply: %w", err)
		}
	}
	st, err := ParseStatus(p.dialect, buf)
	if err != nil {
		return State{}, err
	}
	if p.dialect == ZPL {
		p.extended(ctx, c, &st)
	}
	return st, nil
}

// extended adds a ZPL printer's ~HQES errors (cutter fault, printhead
// temperature, ...) to st. Firmware without ~HQES does not answer: then st
// stands as ~HS gave it, and the connection is dropped so that a late
// answer cannot be read as the next status.
func (p *Printer) extended(ctx context.Context, c Conn, st *State) {
	if err := c.SetDeadline(deadline(ctx, min(p.opts.StatusTimeout, 500*time.Millisecond))); err != nil {
		return
	}
	if _, err := c.Write(hqesQuery); err != nil {
		p.dropLocked()
		return
	}
	var buf []byte
	tmp := make([]byte, 256)
	for bytes.IndexByte(buf, 0x03) < 0 {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil && bytes.IndexByte(buf, 0x03) < 0 {
			p.dropLocked()
			return
		}
	}
	parseHQES(buf, st)
}

func (p *Printer) sendLocked(ctx context.Context, job []byte) error {
	c, _, err := p.connLocked(ctx)
	if err != nil {
		return err
	}
	if err := c.SetDeadline(deadline(ctx, p.opts.WriteTimeout)); err != nil {
		p.dropLocked()
		return fmt.Errorf("set deadline: %w", err)
	}
	defer guard(ctx, c)()
	for len(job) > 0 {
		n, err := c.Write(job)
		job = job[n:]
		if err != nil {
			p.dropLocked()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("write: %w", err)
		}
		if n == 0 {
			p.dropLocked()
			return errors.New("write: no progress")
		}
	}
	return nil
}
