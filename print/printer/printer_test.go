package printer_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
)

// One 100×150 mm waybill in each language.
var waybill = map[printer.Dialect][]byte{
	printer.ZPL: []byte("^XA^CI28^PW812^LL1218\r\n^FO50,50^A0N,40,40^FDSF1234567890^FS\r\n" +
		"^FO50,120^BY3^BCN,120,Y,N,N^FDSF1234567890^FS\r\n^XZ\r\n"),
	printer.TSPL: []byte("SIZE 100 mm,150 mm\r\nGAP 2 mm,0 mm\r\nCLS\r\n" +
		"TEXT 50,50,\"3\",0,1,1,\"SF1234567890\"\r\n" +
		"BARCODE 50,120,\"128\",120,1,0,3,3,\"SF1234567890\"\r\n" +
		"BITMAP 50,300,2,3,0,\x10\x04\x02\x1b!?\r\n" + // binary data that looks like status queries
		"PRINT 1,1\r\n"),
	printer.ESCPOS: []byte("\x1b@SF1234567890\n\x1dv0\x00\x02\x00\x02\x00\x10\x04\x02\x1dV\x01\n\x1dVB\x00"),
	printer.EPL2: []byte("\r\nN\r\nq812\r\nQ1218,24\r\nA50,50,0,4,1,1,N,\"SF1234567890\"\r\n" +
		"B50,120,0,1,3,7,120,B,\"SF1234567890\"\r\n" +
		"GW50,300,2,3,^ee\nP1\r\n" + // binary data that looks like a status query and a print
		"P1\r\n"),
}

var dialects = []printer.Dialect{printer.ZPL, printer.TSPL, printer.ESCPOS, printer.EPL2}

type transport struct {
	name  string
	start func(testing.TB, printer.Dialect, []printer.State) *printertest.Fake
}

var transports = []transport{
	{"tcp", printertest.StartTCP},
	{"pty", printertest.StartPTY},
}

var fast = printer.Options{StatusTimeout: 300 * time.Millisecond, WriteTimeout: 500 * time.Millisecond}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newPrinter(t *testing.T, f *printertest.Fake, d printer.Dialect) *printer.Printer {
	p := printer.New("lbl-01", d, f.Dial, fast)
	t.Cleanup(func() { p.Close() })
	return p
}

// TestPrintConformance runs the same behaviour against every dialect over
// every transport.
func TestPrintConformance(t *testing.T) {
	for _, tr := range transports {
		for _, d := range dialects {
			t.Run(tr.name+"/"+string(d), func(t *testing.T) {
				t.Run("ready: sent and counted", func(t *testing.T) {
					f := tr.start(t, d, nil)
					p := newPrinter(t, f, d)
					for i := 1; i <= 3; i++ {
						st, err := p.Print(ctxT(t), waybill[d])
						if err != nil {
							t.Fatalf("Print #%d: %v", i, err)
						}
						if st.Fault() != "" {
							t.Fatalf("Print #%d state %+v", i, st)
						}
					}
					// The fake answers the status query after the job only
					// once it has parsed the job, so the count is final here.
					if got := f.Labels(); got != 3 {
						t.Errorf("labels = %d, want 3", got)
					}
					jobs := f.Jobs()
					if len(jobs) != 3 || !bytes.Equal(jobs[0], waybill[d]) {
						t.Errorf("jobs = %q, want 3 × %q", jobs, waybill[d])
					}
					if errs := f.Errors(); len(errs) != 0 {
						t.Errorf("framing errors: %v", errs)
					}
					if got := f.Queries(); got != 6 {
						t.Errorf("status queries = %d, want 6", got)
					}
				})
				t.Run("paper out before: refused, nothing sent", func(t *testing.T) {
					f := tr.start(t, d, []printer.State{{Online: true, PaperOut: true}})
					p := newPrinter(t, f, d)
					st, err := p.Print(ctxT(t), waybill[d])
					var fe *printer.FaultError
					if !errors.As(err, &fe) || !errors.Is(err, printer.ErrNotReady) || fe.Sent {
						t.Fatalf("Print error = %v, want not-ready FaultError", err)
					}
					if fe.Fault() != "paper out" || st.Fault() != "paper out" {
						t.Errorf("fault = %q (state %+v), want paper out", fe.Fault(), st)
					}
					if n := len(f.Jobs()); n != 0 || f.Labels() != 0 {
						t.Errorf("printer got %d jobs, %d labels; want none", n, f.Labels())
					}
				})
				t.Run("head open after: reported", func(t *testing.T) {
					f := tr.start(t, d, []printer.State{printertest.Ready, {Online: true, HeadOpen: true}})
					p := newPrinter(t, f, d)
					st, err := p.Print(ctxT(t), waybill[d])
					if !errors.Is(err, printer.ErrFaultAfter) {
						t.Fatalf("Print error = %v, want ErrFaultAfter", err)
					}
					if st.Fault() != "head open" {
						t.Errorf("state after = %+v, want head open", st)
					}
					if f.Labels() != 1 {
						t.Errorf("labels = %d, want 1 (the job was sent)", f.Labels())
					}
				})
				t.Run("no status reply: offline, refused within the timeout", func(t *testing.T) {
					f := tr.start(t, d, []printer.State{{Online: false}})
					p := newPrinter(t, f, d)
					start := time.Now()
					st, err := p.Print(ctxT(t), waybill[d])
					if !errors.Is(err, printer.ErrNotReady) || st.Detail != printer.NoStatusReply {
						t.Fatalf("Print = %+v, %v; want offline, no status reply", st, err)
					}
					if el := time.Since(start); el > fast.StatusTimeout+time.Second {
						t.Errorf("took %v, want about %v", el, fast.StatusTimeout)
					}
					// It recovers once the printer answers again.
					f.SetState(printertest.Ready)
					if _, err := p.Print(ctxT(t), waybill[d]); err != nil {
						t.Fatalf("Print after recovery: %v", err)
					}
					if f.Labels() != 1 {
						t.Errorf("labels = %d, want 1", f.Labels())
					}
				})
				t.Run("state changed by the test between jobs", func(t *testing.T) {
					f := tr.start(t, d, nil)
					p := newPrinter(t, f, d)
					st, err := p.Status(ctxT(t))
					if err != nil || st.Fault() != "" {
						t.Fatalf("Status = %+v, %v", st, err)
					}
					f.SetState(printer.State{Online: true, PaperOut: true})
					st, err = p.Status(ctxT(t))
					if err != nil || st.Fault() != "paper out" {
						t.Fatalf("Status = %+v, %v; want paper out", st, err)
					}
				})
			})
		}
	}
}

func TestPrinterOff(t *testing.T) {
	f := printertest.StartTCP(t, printer.ZPL, nil)
	f.Off()
	p := newPrinter(t, f, printer.ZPL)
	_, err := p.Print(ctxT(t), waybill[printer.ZPL])
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Print error = %v, want connection refused", err)
	}
	// Back on: the printer redials.
	f.On()
	if _, err := p.Print(ctxT(t), waybill[printer.ZPL]); err != nil {
		t.Fatalf("Print after power on: %v", err)
	}
	if f.Labels() != 1 {
		t.Errorf("labels = %d, want 1", f.Labels())
	}
}

func TestPTYPrinterOff(t *testing.T) {
	f := printertest.StartPTY(t, printer.TSPL, nil)
	f.Off()
	p := newPrinter(t, f, printer.TSPL)
	st, err := p.Print(ctxT(t), waybill[printer.TSPL])
	if !errors.Is(err, printer.ErrNotReady) || st.Detail != printer.NoStatusReply {
		t.Fatalf("Print = %+v, %v; want refused, no status reply", st, err)
	}
	f.On()
	if _, err := p.Print(ctxT(t), waybill[printer.TSPL]); err != nil {
		t.Fatalf("Print after power on: %v", err)
	}
	if f.Labels() != 1 {
		t.Errorf("labels = %d, want 1", f.Labels())
	}
}

func TestRedialAfterDroppedConnection(t *testing.T) {
	f := printertest.StartTCP(t, printer.TSPL, nil)
	p := newPrinter(t, f, printer.TSPL)
	if _, err := p.Print(ctxT(t), waybill[printer.TSPL]); err != nil {
		t.Fatal(err)
	}
	// A power cycle closes the kept connection under the Printer.
	f.Off()
	f.On()
	if _, err := p.Print(ctxT(t), waybill[printer.TSPL]); err != nil {
		t.Fatalf("Print on a dropped connection: %v", err)
	}
	if f.Labels() != 2 {
		t.Errorf("labels = %d, want 2", f.Labels())
	}
}

func TestSendStalledTimesOut(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			f := tr.start(t, printer.ZPL, nil)
			f.Stall(true)
			p := newPrinter(t, f, printer.ZPL)
			// Larger than every socket and pty buffer on the way.
			job := bytes.Repeat([]byte("^XA^FO0,0^FDstall^FS^XZ"), 1<<20)
			start := time.Now()
			err := p.Send(ctxT(t), job)
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Send error = %v, want a timeout", err)
			}
			if el := time.Since(start); el > fast.WriteTimeout+time.Second {
				t.Errorf("Send took %v, want about %v", el, fast.WriteTimeout)
			}
		})
	}
}

func TestPrintStalledRefusedWithinTimeout(t *testing.T) {
	f := printertest.StartTCP(t, printer.ZPL, nil)
	f.Stall(true)
	p := newPrinter(t, f, printer.ZPL)
	start := time.Now()
	st, err := p.Print(ctxT(t), waybill[printer.ZPL])
	if !errors.Is(err, printer.ErrNotReady) || st.Fault() != "offline" {
		t.Fatalf("Print = %+v, %v; want refused offline", st, err)
	}
	if el := time.Since(start); el > fast.StatusTimeout+time.Second {
		t.Errorf("took %v", el)
	}
}

func TestStatusCancelled(t *testing.T) {
	f := printertest.StartTCP(t, printer.ZPL, nil)
	f.Stall(true)
	p := printer.New("lbl-01", printer.ZPL, f.Dial, printer.Options{StatusTimeout: time.Hour})
	t.Cleanup(func() { p.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Status(ctx)
		done <- err
	}()
	// Cancel once the fake has accepted the connection: the query is in
	// flight and, the fake being stalled, will never be answered.
	if err := f.WaitConnections(1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Status error = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Status did not return after cancel")
	}
}

func TestFramingErrorRecorded(t *testing.T) {
	f := printertest.StartTCP(t, printer.ZPL, nil)
	p := newPrinter(t, f, printer.ZPL)
	if _, err := p.Print(ctxT(t), []byte("^XA^FDone^FS^XA^FDtwo^FS^XZ")); err != nil {
		t.Fatal(err)
	}
	if errs := f.Errors(); len(errs) != 1 {
		t.Fatalf("errors = %v, want one ^XA without ^XZ", errs)
	}
	if f.Labels() != 1 {
		t.Errorf("labels = %d, want 1", f.Labels())
	}
}

func TestLabelCounting(t *testing.T) {
	tests := []struct {
		name string
		d    printer.Dialect
		job  string
		want int
	}{
		{"zpl ^PQ quantity", printer.ZPL, "^XA^FDa^FS^PQ3^XZ^XA^FDb^FS^XZ", 4},
		{"tspl PRINT sets and copies", printer.TSPL, "CLS\r\nPRINT 2,3\r\nCLS\r\nPRINT 1\r\n", 7},
		{"escpos full and partial cuts", printer.ESCPOS, "a\n\x1dV\x00b\n\x1dV\x31c\n\x1dVA\x10", 3},
		{"epl2 P sets and copies", printer.EPL2, "N\nA1,1,0,1,1,1,N,\"P9\"\nP2,3\nN\nPA\nP1\n", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := printertest.StartTCP(t, tt.d, nil)
			c, err := printer.DialTCP(ctxT(t), f.Addr())
			if err != nil {
				t.Fatal(err)
			}
			// Byte by byte: the fake must not depend on how reads split.
			for i := range len(tt.job) {
				if _, err := c.Write([]byte{tt.job[i]}); err != nil {
					t.Fatal(err)
				}
			}
			c.Close()
			if err := f.WaitLabels(tt.want, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			if got := f.Labels(); got != tt.want {
				t.Errorf("labels = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRateLimitPushesBack(t *testing.T) {
	f := printertest.StartTCP(t, printer.ZPL, nil)
	f.SetRate(50) // 20 ms a label
	p := newPrinter(t, f, printer.ZPL)
	job := bytes.Repeat([]byte("^XA^FDx^FS^XZ"), 5)
	start := time.Now()
	if _, err := p.Print(ctxT(t), job); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Errorf("5 labels at 50/s took %v, want at least 80ms", el)
	}
	if f.Labels() != 5 {
		t.Errorf("labels = %d, want 5", f.Labels())
	}
}

// USB printer class devices are files; a pty slave stands in for
// /dev/usb/lpN (both are pollable character devices).
func TestUSBLPOverPTY(t *testing.T) {
	opens := []struct {
		name string
		open func(string) (printer.Conn, error)
	}{
		{"poller", printer.OpenUSBLP},
		{"poll(2) fallback", printer.OpenPollFile},
	}
	for _, o := range opens {
		for _, d := range dialects {
			t.Run(o.name+"/"+string(d), func(t *testing.T) {
				f := printertest.StartPTY(t, d, []printer.State{printertest.Ready, printertest.Ready, {Online: true, PaperOut: true}})
				p := printer.New("usb-01", d, func(context.Context) (printer.Conn, error) { return o.open(f.Path()) }, fast)
				t.Cleanup(func() { p.Close() })
				if _, err := p.Print(ctxT(t), waybill[d]); err != nil {
					t.Fatalf("Print: %v", err)
				}
				if f.Labels() != 1 {
					t.Errorf("labels = %d, want 1", f.Labels())
				}
				if _, err := p.Print(ctxT(t), waybill[d]); !errors.Is(err, printer.ErrNotReady) {
					t.Errorf("second Print error = %v, want refused (paper out)", err)
				}
				f.Stall(true)
				start := time.Now()
				err := p.Send(ctxT(t), bytes.Repeat([]byte("x"), 1<<20))
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("Send to stalled printer = %v, want timeout", err)
				}
				if el := time.Since(start); el > fast.WriteTimeout+time.Second {
					t.Errorf("Send took %v", el)
				}
			})
		}
	}
}

// BenchmarkPrint measures Print (status, job, status) against a TCP fake
// printing at most 1000 labels a second.
func BenchmarkPrint(b *testing.B) {
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			f := printertest.StartTCP(b, d, nil)
			f.SetRate(1000)
			p := printer.New("bench", d, f.Dial, printer.Options{})
			defer p.Close()
			ctx := context.Background()
			for b.Loop() {
				if _, err := p.Print(ctx, waybill[d]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestBareHostGetsTheRawPrintingPort(t *testing.T) {
	for in, want := range map[string]string{"10.0.0.5": "10.0.0.5:9100", "lbl-1.local": "lbl-1.local:9100",
		"10.0.0.5:6101": "10.0.0.5:6101", "::1": "[::1]:9100", "[::1]:9101": "[::1]:9101"} {
		if got := printer.WithDefaultPort(in); got != want {
			t.Errorf("%s → %s, want %s", in, got, want)
		}
	}
}

func TestHQESErrors(t *testing.T) {
	reply := func(flags string) []byte {
		return []byte("\x02\r\n  PRINTER STATUS\r\n   ERRORS:         1 00000000 " + flags + "\r\n   WARNINGS:       0 00000000 00000000\r\n\x03\r\n")
	}
	for _, c := range []struct {
		flags string
		want  string
	}{{"00000000", ""}, {"00000001", "paper out"}, {"00000002", "ribbon out"}, {"00000004", "head open"},
		{"00000008", "cutter fault"}, {"00000010", "printhead over temperature"}, {"00000005", "paper out"}} {
		st, ok := printer.ParseHQES(reply(c.flags))
		st.Online = true
		if !ok || st.Fault() != c.want {
			t.Errorf("flags %s: fault %q (ok %v), want %q", c.flags, st.Fault(), ok, c.want)
		}
	}
	if _, ok := printer.ParseHQES([]byte("\x02garbage\x03")); ok {
		t.Error("a reply without ERRORS parsed")
	}
}

// TestZPLCutterFaultRefusesTheJob: a fault only ~HQES reports stops a job.
func TestZPLCutterFaultRefusesTheJob(t *testing.T) {
	f := printertest.StartTCP(t, printer.ZPL, []printer.State{{Online: true, Error: "cutter fault"}})
	p := printer.New("lbl", printer.ZPL, f.Dial, printer.Options{StatusTimeout: time.Second})
	defer p.Close()
	_, err := p.Print(ctxT(t), []byte("^XA^FDx^FS^XZ"))
	if !errors.Is(err, printer.ErrNotReady) || !strings.Contains(err.Error(), "cutter fault") || f.Labels() != 0 {
		t.Fatalf("cutter fault: %v, %d labels", err, f.Labels())
	}
}

// TestZPLWithoutHQES: firmware that does not answer ~HQES is judged by ~HS.
func TestZPLWithoutHQES(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if strings.Contains(string(buf[:n]), "~HS") {
						c.Write(printertest.EncodeStatus(printer.ZPL, printer.State{Online: true}, 0))
					}
				}
			}()
		}
	}()
	p := printer.New("old", printer.ZPL, printer.TCPDialer(ln.Addr().String()), printer.Options{StatusTimeout: 300 * time.Millisecond})
	defer p.Close()
	st, err := p.Status(ctxT(t))
	if err != nil || st.Fault() != "" {
		t.Fatalf("old firmware: %+v %v", st, err)
	}
}
