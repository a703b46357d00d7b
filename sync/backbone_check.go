package sync

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	gosync "sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BackboneCheck says what CheckBackbone looks at: a gateway's leaf
// listeners, and, given an account user of the cluster, the cluster's
// JetStream side of the backbone (docs/mqtt-contract.md §15). It only
// looks: it creates, changes and deletes nothing.
type BackboneCheck struct {
	// LeafURLs are the cluster's leaf-node listeners a gateway's embedded
	// broker joins (tls://hub-1:7422, nats-leaf://…); LeafTLS verifies
	// them for tls:// (the gateway's mqtt.embedded.leaf CA and
	// certificate).
	LeafURLs []string
	LeafTLS  *tls.Config
	// NATS is the cluster nodes' client URLs, comma-separated, and
	// Username and Password an account user allowed to read JetStream
	// (the one `floorgate backbone init` runs as); without NATS the
	// cluster is not checked.
	NATS               string
	Username, Password string
	// Stream is the events stream; DefaultEventsStream by default.
	Stream string
	// Stalled is how long a source may go without a word (its sourcing
	// consumer sends heartbeats) before it is reported stalled; 30 s by
	// default.
	Stalled time.Duration
	// Timeout bounds each connection attempt and request; 2 s by
	// default.
	Timeout time.Duration
}

// BackboneHealth is what CheckBackbone found.
type BackboneHealth struct {
	// Leaves are the leaf listeners, in LeafURLs' order.
	Leaves []Endpoint
	// Cluster is nil when BackboneCheck.NATS is empty.
	Cluster *ClusterHealth
}

// Endpoint is one listener and whether it answered.
type Endpoint struct {
	URL string
	// Server is the name the node gave (its server_name), when it said.
	Server string
	// TLS is true when a TLS handshake succeeded.
	TLS bool
	Err error
}

// ClusterHealth is the cluster's side of the backbone.
type ClusterHealth struct {
	// Nodes are the NATS client URLs, each connected to on its own.
	Nodes []Endpoint
	// JetStream is nil when the account's JetStream answered: in a
	// cluster only the meta leader answers account information, so an
	// answer also means the cluster has one.
	JetStream error
	// Stream is the events stream's name, StreamErr why its information
	// could not be read; StreamMissing is true when it does not exist.
	Stream        string
	StreamErr     error
	StreamMissing bool
	// Replicas is the events stream's configured replicas, Leader the
	// server leading it ("" while it has none), Peers its other replicas.
	Replicas int
	Leader   string
	Peers    []Replica
	// Messages in the events stream.
	Messages uint64
	// StoreRetention is the cluster's MQTT store's ($MQTT_msgs)
	// retention: "Limits" as backbone init leaves it, "Interest" as the
	// cluster creates it; StoreErr why it could not be read, StoreMissing
	// true when it does not exist (no MQTT client connected yet).
	StoreRetention string
	StoreErr       error
	StoreMissing   bool
	// Sources are the events stream's sources: the cluster's own MQTT
	// store (Domain "") and each leaf site's.
	Sources []Source
}

// Replica is one of a stream's replicas other than its leader.
type Replica struct {
	Name    string
	Current bool
	Offline bool
	Active  time.Duration // since the leader last heard from it
	Lag     uint64
}

// Lagging reports whether the replica is not keeping up.
func (r Replica) Lagging() bool { return r.Offline || !r.Current }

// Source is one source of the events stream.
type Source struct {
	// Domain is the leaf site's JetStream domain; "" for the cluster's
	// own MQTT store.
	Domain string
	Name   string
	// Active is how long ago the source was last heard from; negative
	// when never.
	Active time.Duration
	Lag    uint64
	// Err is the server's word on why sourcing fails; "" when it does not.
	Err string
	// Stalled is true when it fails, or was never or not lately heard
	// from (BackboneCheck.Stalled).
	Stalled bool
}

// CheckBackbone looks at the backbone as c says; every check is bounded
// by c.Timeout and ctx.
func CheckBackbone(ctx context.Context, c BackboneCheck) BackboneHealth {
	if c.Stream == "" {
		c.Stream = DefaultEventsStream
	}
	if c.Stalled == 0 {
		c.Stalled = 30 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Second
	}
	var h BackboneHealth
	var wg gosync.WaitGroup
	h.Leaves = make([]Endpoint, len(c.LeafURLs))
	for i, u := range c.LeafURLs {
		wg.Go(func() { h.Leaves[i] = probeLeaf(ctx, u, c.LeafTLS, c.Timeout) })
	}
	if c.NATS != "" {
		wg.Go(func() { h.Cluster = checkCluster(ctx, c) })
	}
	wg.Wait()
	return h
}

// leafPort is the leaf-node listeners' usual port.
const leafPort = "7422"

// probeLeaf connects to a leaf listener as the embedded broker would: the
// server's INFO first, then TLS when the URL or the server asks for it
// (or TLS first, for a listener set to handshake_first).
func probeLeaf(ctx context.Context, raw string, tc *tls.Config, timeout time.Duration) Endpoint {
	ep := Endpoint{URL: raw}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		ep.Err = fmt.Errorf("not a URL: %q", raw)
		return ep
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), leafPort)
	}
	wantTLS := u.Scheme == "tls"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := func() (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("TCP connect to %s: %w", addr, err)
		}
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		return conn, nil
	}
	handshake := func(conn net.Conn) error {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if tc != nil {
			cfg = tc.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		if err := tls.Client(conn, cfg).HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		ep.TLS = true
		return nil
	}
	conn, err := dial()
	if err != nil {
		ep.Err = err
		return ep
	}
	defer conn.Close()
	line, rerr := bufio.NewReader(conn).ReadString('\n')
	info, found := strings.CutPrefix(line, "INFO ")
	if rerr != nil || !found {
		if !wantTLS {
			ep.Err = fmt.Errorf("%s sent no NATS INFO: not a leaf-node listener? (%v)", addr, rerr)
			return ep
		}
		conn.Close()
		if conn, err = dial(); err != nil {
			ep.Err = err
			return ep
		}
		defer conn.Close()
		ep.Err = handshake(conn)
		return ep
	}
	var si struct {
		Name        string `json:"server_name"`
		TLSRequired bool   `json:"tls_required"`
	}
	json.Unmarshal([]byte(info), &si)
	ep.Server = si.Name
	if wantTLS || si.TLSRequired {
		ep.Err = handshake(conn)
	}
	return ep
}

// checkCluster reads what the cluster says of the backbone's streams.
func checkCluster(ctx context.Context, c BackboneCheck) *ClusterHealth {
	h := &ClusterHealth{Stream: c.Stream}
	opts := []nats.Option{nats.Name("floorgate-backbone-check"), nats.Timeout(c.Timeout), nats.NoReconnect()}
	if c.Username != "" {
		opts = append(opts, nats.UserInfo(c.Username, c.Password))
	}
	var urls []string
	for u := range strings.SplitSeq(c.NATS, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	h.Nodes = make([]Endpoint, len(urls))
	var wg gosync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			h.Nodes[i] = Endpoint{URL: u}
			nc, err := nats.Connect(u, append(opts, nats.DontRandomize())...)
			if err != nil {
				h.Nodes[i].Err = err
				return
			}
			h.Nodes[i].Server = nc.ConnectedServerName()
			nc.Close()
		})
	}
	wg.Wait()
	nc, err := nats.Connect(strings.Join(urls, ","), opts...)
	if err != nil {
		h.JetStream = fmt.Errorf("connect %s: %w", c.NATS, err)
		return h
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		h.JetStream = err
		return h
	}
	// Each request has its own time: a leader change may hold one up.
	request := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, c.Timeout) }
	rctx, cancel := request()
	_, err = js.AccountInfo(rctx)
	cancel()
	if err != nil {
		h.JetStream = err
		return h
	}
	rctx, cancel = request()
	st, err := js.Stream(rctx, mqttStore)
	cancel()
	if err != nil {
		h.StoreErr, h.StoreMissing = err, errors.Is(err, jetstream.ErrStreamNotFound)
	} else {
		h.StoreRetention = st.CachedInfo().Config.Retention.String()
	}
	rctx, cancel = request()
	st, err = js.Stream(rctx, c.Stream)
	cancel()
	if err != nil {
		h.StreamErr, h.StreamMissing = err, errors.Is(err, jetstream.ErrStreamNotFound)
		return h
	}
	info := st.CachedInfo()
	h.Replicas, h.Messages = info.Config.Replicas, info.State.Msgs
	if cl := info.Cluster; cl != nil {
		h.Leader = cl.Leader
		for _, p := range cl.Replicas {
			h.Peers = append(h.Peers, Replica{Name: p.Name, Current: p.Current, Offline: p.Offline, Active: p.Active, Lag: p.Lag})
		}
	}
	configured := map[string]bool{}
	for _, s := range info.Config.Sources {
		d, _ := leafDomainOf(s)
		configured[d] = true
	}
	for _, s := range info.Sources {
		src := Source{Name: s.Name, Active: s.Active, Lag: s.Lag}
		if s.External != nil {
			d, ok := leafDomainOf(&jetstream.StreamSource{Name: s.Name, External: s.External})
			if !ok {
				d = s.External.APIPrefix
			}
			src.Domain = d
		}
		delete(configured, src.Domain)
		if s.Error != nil {
			src.Err = s.Error.Error()
		}
		src.Stalled = src.Err != "" || s.Active < 0 || s.Active > c.Stalled
		h.Sources = append(h.Sources, src)
	}
	// A source the stream is configured with but reports nothing of has
	// not started at all.
	for d := range configured {
		h.Sources = append(h.Sources, Source{Domain: d, Name: mqttStore, Active: -1, Stalled: true, Err: "not started"})
	}
	return h
}
