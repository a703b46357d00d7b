package gateway

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/floorgate/floorgate/client"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
)

// GatewayBrokerUser is the embedded broker's user for the gateway's own
// MQTT links; its password is made afresh at every start and never leaves
// the process.
const GatewayBrokerUser = "floorgate-gateway"

// The embedded broker's roles.
const (
	BrokerRoleERP    = "erp"
	BrokerRoleReader = "reader"
)

var brokerUserName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (c Config) hasPlainBrokerPassword() bool {
	for _, u := range c.MQTT.Embedded.Users {
		if u.Password != "" && !strings.HasPrefix(u.Password, "$2") {
			return true
		}
	}
	return false
}

// LoopbackListen reports whether addr (host:port) listens on loopback only.
func LoopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateEmbedded refuses an embedded broker open to the network without
// users or TLS, anonymous access off loopback, and malformed users.
func (c Config) validateEmbedded(bad func(field, format string, args ...any) error) error {
	e := c.MQTT.Embedded
	names := map[string]bool{GatewayBrokerUser: true}
	for i, u := range e.Users {
		field := fmt.Sprintf("mqtt.embedded.users[%d]", i)
		switch {
		case !brokerUserName.MatchString(u.Name):
			return bad(field+".name", "%q must be 1–64 letters, digits, '.', '_' or '-'", u.Name)
		case names[u.Name]:
			return bad(field+".name", "%q is used twice or reserved", u.Name)
		case len(u.Password) < 8:
			return bad(field+".password", "missing or shorter than 8 characters")
		case u.Role != BrokerRoleERP && u.Role != BrokerRoleReader:
			return bad(field+".role", "%q is not one of erp, reader", u.Role)
		}
		names[u.Name] = true
	}
	if len(c.MQTT.Brokers) > 0 {
		if e.Leaf.Enabled() {
			return bad("mqtt.embedded.leaf", "joins the embedded broker to a cluster, but mqtt.brokers is set and no embedded broker runs: remove one or the other")
		}
		return nil
	}
	if e.Leaf.Enabled() {
		if _, err := c.leafOptions(); err != nil {
			return bad("mqtt.embedded.leaf", "%v", err)
		}
	}
	loop := LoopbackListen(c.MQTT.EmbeddedListen)
	switch {
	case e.AllowAnonymous && !loop:
		return bad("mqtt.embedded.allow_anonymous", "only with a loopback embedded_listen (127.0.0.1): %s is open to the network", c.MQTT.EmbeddedListen)
	case !loop && len(e.Users) == 0:
		return bad("mqtt.embedded_listen", "%s is open to the network: add mqtt.embedded.users, or listen on 127.0.0.1", c.MQTT.EmbeddedListen)
	case !loop && !e.TLS:
		return bad("mqtt.embedded_listen", "%s is open to the network: set mqtt.embedded.tls (master.put carries PINs), or listen on 127.0.0.1", c.MQTT.EmbeddedListen)
	case e.TLS && c.TLS.Mode == "off":
		return bad("mqtt.embedded.tls", "needs the gateway's certificate: tls.mode is off")
	}
	return nil
}

// leafOptions are the embedded broker's leaf link and the gateway's
// side of it, as configured; nil without one. Every field is checked.
func (c Config) leafOptions() (*leafSetup, error) {
	l := c.MQTT.Embedded.Leaf
	if !l.Enabled() {
		return nil, nil
	}
	keep := fgsync.DefaultLeafKeep
	if l.Keep != "" {
		d, err := time.ParseDuration(l.Keep)
		if err != nil || d < time.Hour {
			return nil, fmt.Errorf("keep: %q is not a duration of at least 1h", l.Keep)
		}
		keep = d
	}
	domain := l.Domain
	if domain == "" {
		domain = broker.DomainFor(c.Site.ID, c.Site.Gateway)
	}
	if (l.CertFile == "") != (l.KeyFile == "") {
		return nil, errors.New("cert_file and key_file: give both for mutual TLS, or neither")
	}
	t, err := (fgsync.Config{CAFile: l.CAFile, CertFile: l.CertFile, KeyFile: l.KeyFile}).TLSConfig()
	if err != nil {
		return nil, err
	}
	stream := l.Stream
	if stream == "" {
		stream = fgsync.DefaultEventsStream
	}
	if !streamName.MatchString(stream) {
		return nil, fmt.Errorf("stream: %q is not a stream name (letters, digits, - and _)", stream)
	}
	ls := &leafSetup{
		broker: broker.Leaf{URLs: l.URLs, Username: l.Username, Password: l.Password, TLS: t, Domain: domain, HubDomain: l.HubDomain},
		link:   fgsync.LeafLink{Domain: domain, HubDomain: l.HubDomain, Stream: stream, Keep: keep},
	}
	if err := ls.broker.Check(); err != nil {
		return nil, err
	}
	return ls, nil
}

var streamName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// leafSetup is a checked leaf link.
type leafSetup struct {
	broker broker.Leaf
	link   fgsync.LeafLink
}

// siteTopics are the topic filters of the site's gateways.
func siteTopics(site string) (events, status, commands string) {
	p := "floorgate/v1/" + site + "/+/"
	return p + "events", p + "status", p + "commands"
}

// startBroker starts the embedded broker with the configured users, the
// gateway's own, and the demo's reader when asked; it fills sc with how
// the gateway reaches it.
func (g *Gateway) startBroker(sc *fgsync.Config, serverTLS *tls.Config) (demoUser, demoPassword string, err error) {
	e := g.Config.MQTT.Embedded
	own := randomSecret()
	t := fgsync.TopicsFor(sc.Site, sc.Gateway)
	events, status, commands := siteTopics(sc.Site)
	users := []broker.User{{Name: GatewayBrokerUser, Password: own,
		Publish: []string{t.Events, t.Status}, Subscribe: []string{t.Commands}}}
	for _, u := range e.Users {
		bu := broker.User{Name: u.Name, Password: u.Password, Subscribe: []string{events, status}}
		if u.Role == BrokerRoleERP {
			bu.Publish = []string{commands}
		}
		users = append(users, bu)
	}
	if g.Demo && len(e.Users) == 0 {
		// make run: a user to watch and drive the demo site with, shown
		// at start.
		demoUser, demoPassword = "demo-erp", randomSecret()[:16]
		users = append(users, broker.User{Name: demoUser, Password: demoPassword, Publish: []string{commands}, Subscribe: []string{events, status}})
	}
	opts := broker.Options{Listen: g.Config.MQTT.EmbeddedListen, Logger: g.Log.With("component", "broker"),
		MaxMessageBytes: sc.MaxMessageBytes, Users: users, StoreDir: filepath.Join(g.Config.StateDir, "broker"),
		AllowAnonymous: e.AllowAnonymous, Anonymous: broker.User{Subscribe: []string{events, status}}}
	if e.TLS {
		opts.TLS = serverTLS
	}
	if e.AllowAnonymous {
		g.Log.Warn("the embedded broker lets anyone on this machine read the site's events without a password (mqtt.embedded.allow_anonymous)")
	}
	leaf, err := g.Config.leafOptions()
	if err != nil {
		return "", "", fmt.Errorf("mqtt.embedded.leaf: %w", err)
	}
	if leaf != nil {
		opts.Leaf = &leaf.broker
	}
	g.Broker, err = broker.Start(opts)
	if err != nil {
		return "", "", fmt.Errorf("embedded MQTT broker on %s (set mqtt.brokers or mqtt.embedded_listen): %w", g.Config.MQTT.EmbeddedListen, err)
	}
	sc.Brokers, sc.Username, sc.Password = []string{g.Broker.URL()}, GatewayBrokerUser, own
	if leaf != nil {
		link := leaf.link
		link.Broker = g.Broker
		link.User, link.Password = g.Broker.InternalUser()
		sc.Leaf = &link
		g.Log.Info("the embedded broker joins the central cluster as a leaf node", "urls", leaf.broker.URLs, "domain", leaf.broker.Domain)
	}
	if e.TLS {
		if sc.TLS, err = client.PinnedTLS(g.Fingerprint); err != nil {
			return "", "", err
		}
	}
	return demoUser, demoPassword, nil
}

func randomSecret() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
