package broker

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultHubDomain is the JetStream domain of the central cluster a leaf
// broker joins, when Leaf.HubDomain is empty.
const DefaultHubDomain = "hub"

// internalName is the user of the in-process NATS connection (see
// InProcessConn): it exists only with Options.Leaf, has a random password
// and may not connect over any socket.
const internalName = "floorgate-internal"

// Leaf joins the embedded broker to a central NATS cluster as a leaf node:
// the site keeps its own broker and store, and the cluster's streams take
// the site's messages from it whenever the link is up. Without a Leaf the
// broker talks to nobody but its MQTT clients.
type Leaf struct {
	// URLs are the cluster's leaf-node listeners, tls:// URLs, or
	// nats-leaf:// (plain text) for a cluster on this machine; the broker
	// connects to one and moves to another when it fails.
	URLs []string
	// Username and Password are the site's user on the cluster.
	Username, Password string
	// TLS verifies the cluster (RootCAs) and may carry the site's client
	// certificate. nil with tls:// URLs uses the system's roots.
	TLS *tls.Config
	// Domain is this broker's JetStream domain, the name the cluster
	// reaches its store by: unique among the cluster's leaves, letters,
	// digits, "-" and "_" only.
	Domain string
	// HubDomain is the cluster's JetStream domain (DefaultHubDomain when
	// empty).
	HubDomain string
}

var domainRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidDomain reports whether d can be a JetStream domain here: 1 to 64
// letters, digits, "-" and "_".
func ValidDomain(d string) bool { return domainRE.MatchString(d) }

// DomainFor turns a site's and a gateway's ids into a JetStream domain:
// "<site>-<gateway>" with every character a domain may not hold replaced
// by "_".
func DomainFor(site, gateway string) string {
	clean := func(s string) string {
		b := []byte(s)
		for i, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				b[i] = '_'
			}
		}
		return string(b)
	}
	return clean(site) + "-" + clean(gateway)
}

// Check names what is wrong with l; Start checks it too.
func (l *Leaf) Check() error {
	if len(l.URLs) == 0 {
		return errors.New("Leaf.URLs: at least one leaf-node URL of the cluster is needed")
	}
	for i, raw := range l.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" || u.Port() == "" {
			return fmt.Errorf("Leaf.URLs[%d]: %q is not a URL like tls://hub-1:7422", i, raw)
		}
		switch u.Scheme {
		case "tls":
		case "nats-leaf", "nats":
			if !isLoopback(u.Hostname()) {
				return fmt.Errorf("Leaf.URLs[%d]: %q is plain text to another machine: use tls://", i, raw)
			}
		default:
			return fmt.Errorf("Leaf.URLs[%d]: scheme %q is not tls or nats-leaf", i, u.Scheme)
		}
		if u.User != nil {
			return fmt.Errorf("Leaf.URLs[%d]: put the user in Username and Password, not in the URL", i)
		}
	}
	if l.Username == "" || l.Password == "" {
		return errors.New("Leaf: Username and Password are needed")
	}
	if !domainRE.MatchString(l.Domain) {
		return fmt.Errorf("Leaf.Domain %q: 1 to 64 letters, digits, - or _", l.Domain)
	}
	hub := l.hubDomain()
	if !domainRE.MatchString(hub) {
		return fmt.Errorf("Leaf.HubDomain %q: 1 to 64 letters, digits, - or _", hub)
	}
	if hub == l.Domain {
		return fmt.Errorf("Leaf.Domain %q is the cluster's own domain", l.Domain)
	}
	return nil
}

func (l *Leaf) hubDomain() string {
	if l.HubDomain == "" {
		return DefaultHubDomain
	}
	return l.HubDomain
}

// remote is l as nats-server's remote leaf options.
func (l *Leaf) remote() *server.RemoteLeafOpts {
	r := &server.RemoteLeafOpts{}
	for _, raw := range l.URLs {
		u, _ := url.Parse(raw)
		u.User = url.UserPassword(l.Username, l.Password)
		if u.Scheme == "tls" {
			r.TLS = true
		}
		r.URLs = append(r.URLs, u)
	}
	if r.TLS {
		if l.TLS != nil {
			r.TLSConfig = l.TLS.Clone()
		} else {
			r.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		r.TLSTimeout = 5
	}
	return r
}

// internalUser is the in-process user: every subject of the account, no
// socket.
func internalUser() (*server.User, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	return &server.User{Username: internalName, Password: hex.EncodeToString(secret),
		AllowedConnectionTypes: map[string]struct{}{"IN_PROCESS": {}}}, nil
}

// InProcessConn is a NATS client connection to the broker within this
// process, for a NATS client library (nats.go's InProcessServer): it needs
// the user and password InternalUser returns. Only a broker with
// Options.Leaf has one.
func (b *Broker) InProcessConn() (net.Conn, error) {
	if b.internal == nil {
		return nil, errors.New("broker: no in-process connections without a leaf link")
	}
	return b.srv.InProcessConn()
}

// InternalUser is the user and password of InProcessConn's connections.
func (b *Broker) InternalUser() (name, password string) {
	if b.internal == nil {
		return "", ""
	}
	return b.internal.Username, b.internal.Password
}

// LeafState is the broker's link to the central cluster.
type LeafState struct {
	// Domain is the broker's JetStream domain, HubDomain the cluster's.
	Domain    string `json:"domain"`
	HubDomain string `json:"hub_domain"`
	// Connected tells whether the link is up, and Remote to which of the
	// cluster's leaf listeners (host:port).
	Connected bool   `json:"connected"`
	Remote    string `json:"remote,omitempty"`
	// RTT is the link's last measured round trip.
	RTT string `json:"rtt,omitempty"`
	// Since is when the link last came up or went down, as seen by a
	// check every 250 ms; the broker's start before either.
	Since time.Time `json:"since,omitzero"`
	// InMsgs and OutMsgs count what crossed the current link.
	InMsgs  int64 `json:"in_msgs"`
	OutMsgs int64 `json:"out_msgs"`
	// LastError is why the link last failed to come up (a refused
	// certificate, a wrong password, an unreachable cluster), while it is
	// down.
	LastError string `json:"last_error,omitempty"`
}

// Leaf reports the link to the central cluster; ok is false for a broker
// without Options.Leaf.
func (b *Broker) Leaf() (LeafState, bool) {
	if b.leaf == nil {
		return LeafState{}, false
	}
	st := LeafState{Domain: b.leaf.Domain, HubDomain: b.leaf.hubDomain()}
	l, up := b.pollLeaf()
	b.leafMu.Lock()
	st.Since = b.leafSince
	b.leafMu.Unlock()
	if up {
		st.Connected, st.Remote, st.RTT = true, net.JoinHostPort(l.IP, fmt.Sprint(l.Port)), l.RTT
		st.InMsgs, st.OutMsgs = l.InMsgs, l.OutMsgs
	} else if st.LastError = b.nlog.leafError(false); st.LastError == "" {
		// Something on the way accepted the connection and closed it,
		// which nats-server does not count as an error.
		st.LastError = "no link to any of the cluster's leaf listeners: unreachable, or the connection is closed on the way"
	}
	return st, true
}

// watchLeaf notes when the leaf link comes up and goes down, until Close.
func (b *Broker) watchLeaf() {
	defer close(b.watchDone)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		b.pollLeaf()
		select {
		case <-b.stopWatch:
			return
		case <-t.C:
		}
	}
}

// pollLeaf reads the link's state once.
func (b *Broker) pollLeaf() (*server.LeafInfo, bool) {
	lz, err := b.srv.Leafz(nil)
	up := err == nil && len(lz.Leafs) > 0
	b.leafMu.Lock()
	if up != b.leafUp || b.leafSince.IsZero() {
		if up != b.leafUp {
			b.log.Info("leaf link", "connected", up)
		}
		if up {
			b.nlog.leafError(true)
		}
		b.leafUp, b.leafSince = up, time.Now()
	}
	b.leafMu.Unlock()
	if !up {
		return nil, false
	}
	return lz.Leafs[0], true
}
