package doctor

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	fgsync "github.com/floorgate/floorgate/sync"
)

// brokersCheck connects to every configured broker at once (a
// brokerCheck each). With no broker configured, it checks the embedded
// broker's listen address instead.
type brokersCheck struct{}

var _ Check = brokersCheck{}

func (brokersCheck) Name() string { return "brokers" }

func (c brokersCheck) Run(ctx context.Context, s *Site) []Finding {
	if len(s.Config.MQTT.Brokers) == 0 {
		return []Finding{embeddedBroker(ctx, s)}
	}
	checks := make([]Check, len(s.Config.MQTT.Brokers))
	for i, b := range s.Config.MQTT.Brokers {
		checks[i] = brokerCheck{url: b}
	}
	fs := runAtOnce(ctx, s, checks...)
	if len(fs) < 2 {
		return fs
	}
	// Several brokers are the nodes of one cluster (or one broker's
	// listeners): the gateway uses whichever answers, so a node down is
	// a warning, and only all of them down a failure.
	return someDown(fs, c.Name(), "the gateway publishes to the others; bring the down ones back, or remove them from mqtt.brokers in "+s.configName(),
		"check the brokers are running, the addresses in mqtt.brokers of "+s.configName()+" and the firewall")
}

// someDown turns the failures among the findings of a cluster's nodes
// into warnings while some node passes, and adds one line that counts
// them, under check: a warning with someFix, or a failure with noneFix
// when no node passed.
func someDown(fs []Finding, check, someFix, noneFix string) []Finding {
	var down []string
	for _, f := range fs {
		if f.Severity == Fail {
			down = append(down, strings.TrimPrefix(f.Check, strings.TrimSuffix(check, "s")+" "))
		}
	}
	switch {
	case len(down) == 0:
		return append(fs, passed(check, "all %d reachable", len(fs)))
	case len(down) == len(fs):
		return append(fs, failed(check, noneFix, "none of the %d is reachable", len(fs)))
	}
	for i := range fs {
		if fs[i].Severity == Fail {
			fs[i].Severity = Warn
		}
	}
	return append(fs, warned(check, someFix, "%d of %d down: %s", len(down), len(fs), strings.Join(down, ", ")))
}

// brokerCheck connects to one broker as the gateway would, through
// sync.Probe: TCP, then TLS for ssl:// and wss:// with the configured CA
// and client certificate, then an MQTT CONNECT for tcp:// and ssl:// (not
// over WebSocket) with the configured username and password.
type brokerCheck struct {
	url string
}

var _ Check = brokerCheck{}

func (c brokerCheck) Name() string { return "broker " + c.url }

func (c brokerCheck) Run(ctx context.Context, s *Site) []Finding {
	check := c.Name()
	ctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	sc, _ := s.Config.SyncConfig() // validated with the config
	// A client id of its own, so the running daemon's session is not
	// taken over.
	clientID := fmt.Sprintf("floorgate-doctor-%s-%d", s.Config.Site.Gateway, os.Getpid())
	r := fgsync.Probe(ctx, sc, clockFunc(s.Now), c.url, clientID)
	if r.DialErr != nil {
		return []Finding{failed(check, "check the broker is running, the address in "+s.configName()+" and the firewall", "TCP connect to %s: %v", r.Addr, r.DialErr)}
	}
	found := passed(check, "TCP connect ok")
	if r.TLS {
		if found = brokerTLS(s, check, r); found.Severity == Fail {
			return []Finding{found}
		}
	}
	f := passed(check, "%s; MQTT CONNECT not tried over WebSocket", found.What)
	if r.MQTT {
		f = connackFinding(s, check, r, found.What, clientID)
	}
	if f.Severity == OK && found.Severity == Warn {
		f.Severity, f.Fix = Warn, found.Fix // a certificate about to expire
	}
	return []Finding{f}
}

// brokerTLS judges the probe's TLS handshake and describes the broker's
// certificate: a FAIL ends the check, a WARN (expiring soon) lets it go
// on.
func brokerTLS(s *Site, check string, r fgsync.ProbeResult) Finding {
	switch {
	case r.TLSConfigErr != nil:
		return failed(check, "see the credentials checks", "mqtt.%v", r.TLSConfigErr)
	case r.TLSErr != nil:
		return failed(check, "check mqtt.ca_file is the CA that signed the broker's certificate, the clock, and the client certificate",
			"TLS handshake with %s: %v", r.Remote, r.TLSErr)
	}
	until := r.Leaf.NotAfter.UTC().Format(time.DateOnly)
	if f, bad := certValidity(s.Now(), check, "the broker's certificate", []*x509.Certificate{r.Leaf}); bad {
		f.Fix = "ask the broker's administrator to renew its certificate"
		f.What = fmt.Sprintf("TLS ok: server %s, expires on %s, within %d days", r.Leaf.Subject, until, int(certWarnWithin.Hours()/24))
		return f
	}
	return passed(check, "TLS ok: server %s, valid until %s", r.Leaf.Subject, until)
}

// connackFinding judges the broker's answer to the probe's CONNECT.
func connackFinding(s *Site, check string, r fgsync.ProbeResult, found, clientID string) Finding {
	switch {
	case r.SendErr != nil:
		return failed(check, "check the broker's listener speaks MQTT", "%s; send MQTT CONNECT: %v", found, r.SendErr)
	case r.ConnackErr != nil:
		return failed(check, "check the port is the broker's MQTT listener", "%s; no MQTT CONNACK: %v", found, r.ConnackErr)
	}
	switch r.Code { // MQTT 3.1.1 §3.2.2.3
	case 0:
		return passed(check, "%s; MQTT CONNECT accepted", found)
	case 4:
		return failed(check, "check mqtt.username and mqtt.password in "+s.configName(), "%s; broker refused the username or password", found)
	case 5:
		return warned(check, "check the broker's ACL allows this user (the doctor connects as "+clientID+")", "%s; broker says not authorised", found)
	}
	return failed(check, "check the broker's log", "%s; broker refused the connection (CONNACK code %d)", found, r.Code)
}

// embeddedBroker: the embedded broker's address must be free, or held by
// the running daemon's broker, which must refuse clients without a
// password unless the configuration allows them (then a warning).
func embeddedBroker(ctx context.Context, s *Site) Finding {
	addr := s.Config.MQTT.EmbeddedListen
	check := "broker (embedded) " + addr
	anon := s.Config.MQTT.Embedded.AllowAnonymous
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		if anon {
			return warned(check, "set mqtt.embedded.allow_anonymous: false and give tools a user (mqtt.embedded.users)",
				"the address is free; anyone on this machine will read the site's events without a password")
		}
		return passed(check, "no brokers configured; the embedded broker's address is free; %d users besides the gateway, no anonymous access", len(s.Config.MQTT.Embedded.Users))
	}
	if s.Config.MQTT.Embedded.TLS {
		return passed(check, "in use (TLS: not probed further)")
	}
	ctx, cancel := context.WithTimeout(ctx, netTimeout)
	defer cancel()
	// An anonymous CONNECT: the gateway's broker refuses it (code 5)
	// unless anonymous access is configured.
	r := fgsync.Probe(ctx, fgsync.Config{}, nil, "tcp://"+dialable(addr), fmt.Sprintf("floorgate-doctor-%d", os.Getpid()))
	if r.DialErr != nil {
		return failed(check, "set mqtt.embedded_listen to a free address in "+s.configName(), "cannot listen on %s: %v", addr, err)
	}
	switch {
	case r.SendErr != nil || r.ConnackErr != nil:
	case !s.DaemonRunning:
	case r.Code == 5 && !anon:
		return passed(check, "in use by the running daemon's embedded broker, which refuses clients without a password")
	case r.Code == 0 && anon:
		return warned(check, "set mqtt.embedded.allow_anonymous: false and give tools a user (mqtt.embedded.users)",
			"in use by the running daemon's embedded broker; anyone on this machine reads the site's events without a password")
	case r.Code == 0:
		return failed(check, "restart the gateway: it runs with an older configuration, or another broker holds the address",
			"the broker on %s lets clients in without a password", addr)
	}
	return failed(check, "stop the program on "+addr+" (ss -ltnp), or set mqtt.brokers or mqtt.embedded_listen in "+s.configName(),
		"%s is in use by another program", addr)
}

// dialable turns a listen address into one to connect to.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// clockFunc is the doctor's clock as the floorgate.Clock sync.Probe
// checks certificates at.
type clockFunc func() time.Time

func (f clockFunc) Now() time.Time { return f() }
