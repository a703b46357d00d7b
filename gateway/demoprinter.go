package gateway

import (
	"bytes"
	"fmt"
	"net"
	"sync"
)

// DemoStations are the demo site's pack stations, one per demo packer.
func DemoStations() []string {
	out := make([]string, DemoPackers)
	for i := range out {
		out[i] = fmt.Sprintf("pack-%d", i+1)
	}
	return out
}

// DemoPrinterID is the simulated printer's id on the status page.
const DemoPrinterID = "demo-printer"

// demoPrinter is the demo's label printer: a TSPL printer simulated on a
// loopback port, always ready. It takes every job and keeps nothing — the
// labels are seen on the status page (print queue and label previews) —
// so a demo packer sees the whole flow, waybill scan included, with no
// hardware. It is a real endpoint, reached over TCP like a printer on port
// 9100, so the print worker runs exactly as on a site.
type demoPrinter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// startDemoPrinter simulates a printer for a demo gateway configured with
// none: it serves the configured pack stations, or DemoStations when none
// are configured.
func (g *Gateway) startDemoPrinter() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo printer: %w", err)
	}
	p := &demoPrinter{ln: ln, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	g.demoPrinter = p
	if len(g.Config.Stations) == 0 {
		g.Config.Stations = DemoStations()
	}
	g.Config.Printers = []PrinterConfig{{ID: DemoPrinterID, Dialect: "tspl", Address: "tcp://" + ln.Addr().String(),
		DPI: 203, Stations: g.Config.Stations}}
	return nil
}

func (p *demoPrinter) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.talk(c)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
			c.Close()
		}()
	}
}

// talk answers every TSPL status query (ESC ! ?) with 0: ready, nothing
// wrong (TSPL/TSPL2 Programming Manual, <ESC>!?). Everything else is a
// label, taken and dropped.
func (p *demoPrinter) talk(c net.Conn) {
	query := []byte{0x1b, '!', '?'}
	var tail []byte // the end of the last read, for a query split across reads
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		data := append(tail, buf[:n]...)
		for i := bytes.Index(data, query); i >= 0; i = bytes.Index(data, query) {
			if _, err := c.Write([]byte{0}); err != nil {
				return
			}
			data = data[i+len(query):]
		}
		tail = append([]byte(nil), data[max(0, len(data)-len(query)+1):]...)
		if err != nil {
			return
		}
	}
}

// close stops the simulated printer and waits for its connections to end.
func (p *demoPrinter) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
