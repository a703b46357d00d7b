package sync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/floorgate/floorgate"
)

// ProbeResult is what Probe found, stage by stage: TCP, then TLS, then
// MQTT. A stage runs only when the one before it passed, so the first
// stage with an error is where the broker could not be reached.
type ProbeResult struct {
	// Addr is the host:port dialed (brokerAddr).
	Addr string
	// Remote is the address the TCP connection reached; "" without one.
	Remote string
	// DialErr is why no TCP connection was made.
	DialErr error

	// TLS is whether TLS was tried: for ssl://, tls://, mqtts:// and
	// wss://.
	TLS bool
	// TLSConfigErr is why Config.TLSConfig could not be made from the
	// configured files; the handshake was not tried.
	TLSConfigErr error
	// TLSErr is the handshake's error, as crypto/tls gives it.
	TLSErr error
	// Leaf is the broker's own certificate, after a handshake that passed.
	Leaf *x509.Certificate

	// MQTT is whether a CONNECT was tried: not over ws:// or wss://,
	// where the WebSocket upgrade would come first.
	MQTT bool
	// SendErr is why the CONNECT could not be sent; ConnackErr why no
	// CONNACK came back (no answer, or a packet that is not one).
	SendErr, ConnackErr error
	// Code is the CONNACK's return code (MQTT 3.1.1 §3.2.2.3):
	// packets.Accepted, or the refusal, such as
	// packets.ErrRefusedBadUsernameOrPassword or
	// packets.ErrRefusedNotAuthorised.
	Code byte
}

// Err is the first stage's failure, or a refused CONNECT, with its stage
// named; nil when every stage tried passed.
func (r ProbeResult) Err() error {
	switch {
	case r.DialErr != nil:
		return fmt.Errorf("tcp connect to %s: %w", r.Addr, r.DialErr)
	case r.TLSConfigErr != nil:
		return fmt.Errorf("tls config: %w", r.TLSConfigErr)
	case r.TLSErr != nil:
		return fmt.Errorf("tls handshake with %s: %w", r.Remote, r.TLSErr)
	case r.SendErr != nil:
		return fmt.Errorf("send CONNECT: %w", r.SendErr)
	case r.ConnackErr != nil:
		return fmt.Errorf("read CONNACK: %w", r.ConnackErr)
	case r.MQTT && r.Code != packets.Accepted:
		if err := packets.ConnErrors[r.Code]; err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		return fmt.Errorf("connect: refused with CONNACK code %d", r.Code)
	}
	return nil
}

// Probe tries broker, a URL of one of BrokerSchemes, once, through the
// gateway's own connection code: TCP as the gateway dials it (proxies
// from the environment), the TLS set-up of cfg.TLSConfig with the
// certificates checked at clock's time (the system clock when nil), and
// an MQTT 3.1.1 CONNECT with a clean session, cfg's username and
// password and clientID, whose CONNACK it reads before it disconnects.
// clientID should be the probe's own, so a running gateway's session is
// not taken over. ctx's deadline, or cfg.ConnectTimeout, bounds it all.
//
// It only reports: it never publishes or subscribes, and a failure is
// in the result, never retried.
func Probe(ctx context.Context, cfg Config, clock floorgate.Clock, broker, clientID string) ProbeResult {
	cfg.setDefaults()
	if clock == nil {
		clock = floorgate.SystemClock{}
	}
	var r ProbeResult
	u, err := url.Parse(broker)
	if err != nil {
		r.DialErr = fmt.Errorf("parse broker URL: %w", err)
		return r
	}
	r.Addr = brokerAddr(u)
	deadline := time.Now().Add(cfg.ConnectTimeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}

	// The TCP connection as the gateway makes a tcp:// one; TLS and MQTT
	// follow on it as stages of their own, which the gateway's dial does
	// in one step for ssl://.
	raw, err := dial(&url.URL{Scheme: "tcp", Host: r.Addr}, mqtt.ClientOptions{Dialer: &net.Dialer{Deadline: deadline}})
	if err != nil {
		r.DialErr = err
		return r
	}
	r.Remote = raw.RemoteAddr().String()
	raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn := raw
	defer func() { conn.Close() }()

	switch u.Scheme {
	case "ssl", "tls", "mqtts", "wss":
		r.TLS = true
		tlsc, err := cfg.TLSConfig()
		if err != nil {
			r.TLSConfigErr = err
			return r
		}
		if tlsc == nil {
			tlsc = &tls.Config{} // the gateway's too without files: crypto/tls's defaults
		}
		tlsc.Time = clock.Now
		tc, err := handshake(conn, u, tlsc, time.Until(deadline))
		if err != nil {
			// handshake names its stage; ProbeResult's field does here.
			r.TLSErr = errors.Unwrap(err)
			return r
		}
		conn = tc
		if tc, ok := tc.(*tls.Conn); ok {
			if peers := tc.ConnectionState().PeerCertificates; len(peers) > 0 {
				r.Leaf = peers[0]
			}
		}
	}
	if u.Scheme == "ws" || u.Scheme == "wss" {
		return r
	}

	r.MQTT = true
	r.Code, r.SendErr, r.ConnackErr = connect(conn, cfg, clientID)
	return r
}

// connect sends an MQTT 3.1.1 CONNECT (§3.1) on conn with a clean
// session and reads the CONNACK (§3.2); when one came, it sends a
// DISCONNECT.
func connect(conn net.Conn, cfg Config, clientID string) (code byte, sendErr, connackErr error) {
	cp := packets.NewControlPacket(packets.Connect).(*packets.ConnectPacket)
	cp.ProtocolName, cp.ProtocolVersion, cp.CleanSession = "MQTT", 4, true
	cp.Keepalive = uint16(min(cfg.Keepalive/time.Second, 65535))
	cp.ClientIdentifier = clientID
	if cfg.Username != "" {
		cp.UsernameFlag, cp.Username = true, cfg.Username
		if cfg.Password != "" {
			cp.PasswordFlag, cp.Password = true, []byte(cfg.Password)
		}
	}
	if err := cp.Write(conn); err != nil {
		return 0, err, nil
	}
	p, err := packets.ReadPacket(conn)
	if err != nil {
		return 0, nil, err
	}
	ack, ok := p.(*packets.ConnackPacket)
	if !ok {
		name, _, _ := strings.Cut(p.String(), ":") // the fixed header's packet type
		return 0, nil, fmt.Errorf("the reply is a %s packet", name)
	}
	_ = packets.NewControlPacket(packets.Disconnect).Write(conn)
	return ack.ReturnCode, nil, nil
}
