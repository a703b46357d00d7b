package sync

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// Config is how the gateway reaches its broker.
type Config struct {
	// Brokers are tried in turn: tcp://, ssl://, ws:// or wss:// URLs.
	Brokers  []string
	Username string
	Password string
	// CAFile verifies the broker; CertFile and KeyFile are the gateway's
	// own certificate for mutual TLS.
	CAFile, CertFile, KeyFile string
	// TLS, when set, is the TLS set-up used as it is, instead of the files:
	// how the gateway trusts its own embedded broker's certificate.
	TLS            *tls.Config
	Keepalive      time.Duration
	ConnectTimeout time.Duration
	// Window is how many QoS 1 publishes may wait for their PUBACK at once.
	Window int
	// MaxMessageBytes is the largest event the broker takes; larger ones
	// go to the dead-letter list instead of being sent.
	MaxMessageBytes int
	// BatchEvents, above 1, lets one message carry up to that many events
	// waiting to go, as a JSON array of their envelopes no larger than
	// MaxMessageBytes (contract §5); 0 or 1 sends one event per message.
	// Consumers must read arrays before it is turned on.
	BatchEvents int
	// AckEvery bounds how long acknowledged events wait before the outbox
	// is told, in a batch.
	AckEvery time.Duration
	// BackoffMin and BackoffMax bound the wait between connection attempts.
	BackoffMin, BackoffMax time.Duration
	// StatusEvery is how often the retained status is refreshed with the
	// last sequence number, so a consumer can tell it missed the newest
	// events even when no newer one follows.
	StatusEvery time.Duration

	// Leaf, when set, says Brokers is the gateway's own embedded broker,
	// joined to a central NATS cluster as a leaf node: its PUBACK means
	// stored on this machine, and an event leaves the outbox only when
	// the central stream holds it (LeafLink).
	Leaf *LeafLink

	Site, Gateway, Version string
}

// Defaults of Config.
const (
	DefaultWindow          = 256
	DefaultMaxMessageBytes = 256 << 10
	// MaxBatchEvents is the most events one message may carry.
	MaxBatchEvents = 1000
)

func (c *Config) setDefaults() {
	if c.Keepalive == 0 {
		c.Keepalive = 30 * time.Second
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.AckEvery == 0 {
		c.AckEvery = 20 * time.Millisecond
	}
	if c.StatusEvery == 0 {
		c.StatusEvery = 10 * time.Second
	}
	if c.BackoffMin == 0 {
		c.BackoffMin = 250 * time.Millisecond
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = 30 * time.Second
	}
}

// Validate names the first field that is wrong.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return fmt.Errorf("brokers: at least one broker URL is needed")
	}
	for i, b := range c.Brokers {
		u, err := url.Parse(b)
		if err != nil || u.Host == "" {
			return fmt.Errorf("brokers[%d]: %q is not a URL like tcp://host:1883", i, b)
		}
		if !slices.Contains(BrokerSchemes, u.Scheme) {
			return fmt.Errorf("brokers[%d]: scheme %q is not one of %s", i, u.Scheme, strings.Join(BrokerSchemes, ", "))
		}
	}
	if c.Site == "" || c.Gateway == "" || strings.ContainsAny(c.Site+c.Gateway, "/+#") {
		return fmt.Errorf("site and gateway ids are needed, without / + #")
	}
	if c.Window < 0 || c.Window > 65000 {
		return fmt.Errorf("window: %d is not between 1 and 65000", c.Window)
	}
	if c.MaxMessageBytes < 0 {
		return fmt.Errorf("max_message_bytes: %d is negative", c.MaxMessageBytes)
	}
	if c.BatchEvents < 0 || c.BatchEvents > MaxBatchEvents {
		return fmt.Errorf("batch_events: %d is not between 0 and %d", c.BatchEvents, MaxBatchEvents)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("cert_file and key_file: give both for mutual TLS, or neither")
	}
	if l := c.Leaf; l != nil && (l.Broker == nil || l.User == "" || l.Keep < 0 || l.Keep > 0 && l.Keep < time.Hour) {
		return fmt.Errorf("leaf: needs the embedded broker, its in-process user and a keep of at least 1h")
	}
	_, err := c.TLSConfig()
	return err
}

// TLSConfig is the TLS set-up the files ask for, or nil for none.
func (c Config) TLSConfig() (*tls.Config, error) {
	if c.TLS != nil {
		return c.TLS.Clone(), nil
	}
	if c.CAFile == "" && c.CertFile == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file: %s holds no PEM certificate", c.CAFile)
		}
		t.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}

// Topics of one gateway.
type Topics struct {
	Events, Status, Commands string
}

// TopicsFor is the topic tree of a gateway: floorgate/v1/{site}/{gateway}/….
func TopicsFor(site, gateway string) Topics {
	p := "floorgate/v1/" + site + "/" + gateway + "/"
	return Topics{Events: p + "events", Status: p + "status", Commands: p + "commands"}
}
