package natstest

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// LinkProxy is a WAN link between a site and the cluster: it carries TCP
// connections to the targets (the cluster's leaf listeners), one after
// another, until Cut; then it drops every connection and refuses new ones
// (its port is closed), as a link that is down, until Mend. What it
// carries it does not read: TLS goes through end to end.
type LinkProxy struct {
	addr    string
	targets []string
	mu      sync.Mutex
	l       net.Listener // nil while cut
	next    int
	conns   []net.Conn
}

// StartLinkProxy opens the link, on a port below the kernel's range of
// temporary ports: while the link is cut its port is closed, and no
// outgoing connection on the machine may take it meanwhile.
func StartLinkProxy(targets ...string) (*LinkProxy, error) {
	if len(targets) == 0 {
		return nil, fmt.Errorf("natstest: a link needs a target")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("natstest: link: %w", err)
	}
	p := &LinkProxy{addr: l.Addr().String(), targets: targets, l: l}
	go p.serve(l)
	return p, nil
}

// Addr is the link's host:port, for a leaf URL (tls://Addr or
// nats-leaf://Addr).
func (p *LinkProxy) Addr() string { return p.addr }

func (p *LinkProxy) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		target := p.targets[p.next%len(p.targets)]
		p.next++
		p.mu.Unlock()
		up, err := net.DialTimeout("tcp", target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.l != l {
			// Cut while dialling.
			p.mu.Unlock()
			c.Close()
			up.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go carry(c, up)
		go carry(up, c)
	}
}

func carry(src, dst net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// Cut closes the port and every connection through it.
func (p *LinkProxy) Cut() {
	p.mu.Lock()
	l, conns := p.l, p.conns
	p.l, p.conns = nil, nil
	p.mu.Unlock()
	if l != nil {
		l.Close()
	}
	for _, c := range conns {
		c.Close()
	}
}

// Mend opens the port again.
func (p *LinkProxy) Mend() error {
	p.mu.Lock()
	up := p.l != nil
	p.mu.Unlock()
	if up {
		return nil
	}
	var l net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if l, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("natstest: link: reopen %s: %w", p.addr, err)
		}
	}
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	go p.serve(l)
	return nil
}

// Close takes the link down for good.
func (p *LinkProxy) Close() { p.Cut() }
