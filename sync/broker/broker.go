// Package broker runs an embedded MQTT broker for a single-box site that has
// no external broker configured: the gateway and the site's own tools on the
// same machine (a label station, a dashboard, mosquitto_sub while debugging)
// meet here.
//
// It speaks MQTT 3.1.1 and 5 with QoS 0 and 1 (2 is accepted too), retained
// messages, last-will messages, persistent sessions (clean session false) and
// shared subscriptions ($share/group/topic).
//
// What it must not do:
//   - Authenticate. Every client is allowed to connect, publish and subscribe
//     to everything, which is only acceptable because it listens on localhost
//     by default. Binding it to another interface opens the site's message bus
//     to the network.
//   - Persist. Sessions, queued messages and retained messages live in memory
//     for the life of the process and are gone after a restart.
//   - Serve several sites or run as shared production infrastructure. A site
//     that needs that configures an external broker, and this package is then
//     not started at all.
//
// Only this package imports the broker library (mochi-mqtt); the rest of
// floorgate sees an MQTT URL.
package broker

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

const (
	// DefaultListen is used when Options.Listen is empty: loopback only,
	// because the broker lets every client in.
	DefaultListen = "127.0.0.1:1883"

	// DefaultMaxMessageBytes is used when Options.MaxMessageBytes is 0.
	DefaultMaxMessageBytes = 256 << 10

	// receiveMaximum is how many QoS 1 publishes a client may have awaiting
	// PUBACK from the broker: generous, because holding a burst of scans
	// back buys nothing on one box.
	receiveMaximum = 1024

	// maxInflight is how many QoS 1 messages the broker keeps per session,
	// sent but unacknowledged or queued while a persistent session is
	// offline. Past it mochi drops new messages for that session (and logs
	// "client store quota reached"), which bounds the memory an abandoned
	// session can hold.
	maxInflight = 1024
)

// Options configure the embedded broker.
type Options struct {
	// Listen is the TCP address, e.g. "127.0.0.1:1883" (DefaultListen when
	// empty); a port of 0 picks a free one, see Broker.Addr.
	Listen string
	// Logger receives the broker's logs; nil discards them.
	Logger *slog.Logger
	// MaxMessageBytes caps a publish packet (0 = 256 KiB). The cap applies to
	// every packet a client sends, publish being the only one that comes near
	// it. A client that sends a bigger packet is disconnected without a
	// PUBACK; MQTT 5 clients are told the cap in CONNACK so they can refuse
	// locally instead.
	MaxMessageBytes int
	// WebsocketListen, when set, also serves MQTT over WebSockets at this
	// address (path /), for ws:// clients.
	WebsocketListen string
}

// Broker is a running embedded broker.
type Broker struct {
	srv       *mqtt.Server
	ln        *listener
	ws        string
	closeOnce sync.Once
	closeErr  error
}

// Start listens on opts.Listen and serves MQTT. It returns once the listening
// socket is bound, so clients can connect as soon as it returns.
func Start(opts Options) (*Broker, error) {
	if opts.MaxMessageBytes < 0 || int64(opts.MaxMessageBytes) > math.MaxUint32 {
		return nil, fmt.Errorf("start mqtt broker: max message bytes %d out of range", opts.MaxMessageBytes)
	}
	maxBytes := uint32(opts.MaxMessageBytes)
	if maxBytes == 0 {
		maxBytes = DefaultMaxMessageBytes
	}
	addr := opts.Listen
	if addr == "" {
		addr = DefaultListen
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = maxBytes
	caps.ReceiveMaximum = receiveMaximum
	caps.MaximumInflight = maxInflight
	caps.SharedSubAvailable = 1
	caps.RetainAvailable = 1
	// mochi's default drops retained and queued messages after 24 hours; here
	// they live as long as the process, as the package doc promises.
	caps.MaximumMessageExpiryInterval = 0
	// Already mochi's default (about 136 years); spelled out because
	// persistent MQTT 3.1.1 sessions rely on it never expiring.
	caps.MaximumSessionExpiryInterval = math.MaxUint32

	srv := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		Logger:       log,
	})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("start mqtt broker: allow-all hook: %w", err)
	}
	if err := srv.AddHook(&connackHook{maxPacketSize: maxBytes}, nil); err != nil {
		return nil, fmt.Errorf("start mqtt broker: connack hook: %w", err)
	}

	nl, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start mqtt broker: %w", err)
	}
	ln := newListener(nl, log)
	if err := srv.AddListener(ln); err != nil {
		_ = nl.Close()
		return nil, fmt.Errorf("start mqtt broker: add listener: %w", err)
	}
	b := &Broker{srv: srv, ln: ln, ws: opts.WebsocketListen}
	if opts.WebsocketListen != "" {
		if err := srv.AddListener(listeners.NewWebsocket(listeners.Config{Type: "ws", ID: "ws", Address: opts.WebsocketListen})); err != nil {
			_ = b.Close()
			return nil, fmt.Errorf("start mqtt broker: websocket listener: %w", err)
		}
	}
	if err := srv.Serve(); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("start mqtt broker: %w", err)
	}
	return b, nil
}

// Addr returns the host:port the broker listens on, with the real port when
// Options.Listen asked for port 0.
func (b *Broker) Addr() string { return b.ln.Address() }

// URL returns the broker's address as an MQTT client URL, "tcp://host:port".
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// WebsocketURL is the ws:// address of the WebSocket listener, or "".
func (b *Broker) WebsocketURL() string {
	if b.ws == "" {
		return ""
	}
	return "ws://" + b.ws
}

// Close disconnects every client, stops listening and returns once the
// goroutines serving connections have ended. The port is free when it
// returns. Sessions and retained messages are discarded. Calling Close again
// does nothing.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		// mochi's Close closes our listener, which waits for every
		// connection goroutine; see listener.Close.
		if err := b.srv.Close(); err != nil {
			b.closeErr = fmt.Errorf("close mqtt broker: %w", err)
		}
	})
	return b.closeErr
}

// connackHook tells MQTT 5 clients the broker's maximum packet size. mochi
// enforces Capabilities.MaximumPacketSize on what it reads but leaves it out
// of CONNACK, so without this a client only learns the limit by being
// disconnected — and a QoS 1 publisher then resends the same message after
// every reconnect.
type connackHook struct {
	mqtt.HookBase
	maxPacketSize uint32
}

var _ mqtt.Hook = (*connackHook)(nil)

func (h *connackHook) ID() string { return "floorgate-connack" }

func (h *connackHook) Provides(b byte) bool { return b == mqtt.OnPacketEncode }

func (h *connackHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Connack && cl.Properties.ProtocolVersion == 5 {
		pk.Properties.MaximumPacketSize = h.maxPacketSize
	}
	return pk
}
