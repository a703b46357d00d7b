package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate/gateway"
	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
	"github.com/floorgate/floorgate/sync/mqtttest"
	"github.com/floorgate/floorgate/sync/natstest"
)

// TestDoctorBackbone: a gateway publishing over MQTT to every node of a
// real three-node cluster (mode a), checked with --backbone. The
// cluster's MQTT store left on interest retention fails; after backbone
// init, a leaf domain sourced that no leaf serves is named stalled; a
// node killed is a warning naming it, for its MQTT listener, its client
// URL and its replica of the events stream.
func TestDoctorBackbone(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := natstest.Start(t, natstest.Options{})
	brokers := "['" + strings.Join(c.MQTTURLs(), "', '") + "']"
	yaml := baseYAML(stateDir(t, 0o700), "", "mqtt", "{brokers: "+brokers+", username: erp, password: erp-secret}")
	run := func() ([]string, error) {
		lines, _, err := doctorRunWith(t, yaml, func(d *Doctor) {
			d.Backbone, d.BackboneUser, d.BackbonePassword = c.NATSURLs(), "erp", "erp-secret"
		})
		return lines, err
	}
	// until runs the doctor until a line matches each of want, and
	// returns its lines.
	until := func(want ...string) []string {
		t.Helper()
		for {
			lines, _ := run()
			if !slices.ContainsFunc(want, func(w string) bool {
				return !slices.ContainsFunc(lines, func(l string) bool { return lineMatches(l, w) })
			}) {
				return lines
			}
			if ctx.Err() != nil {
				t.Fatalf("want lines\n%s\ngot\n%s", strings.Join(want, "\n"), strings.Join(lines, "\n"))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	natsURLs := strings.Split(c.NATSURLs(), ",")

	// The doctor's MQTT CONNECTs make the cluster create its MQTT store,
	// on interest retention (a node may drop a CONNECT while the store is
	// being created: until).
	want := []string{}
	for _, u := range c.MQTTURLs() {
		want = append(want, "ok   broker "+u+": TCP connect ok; MQTT CONNECT accepted")
	}
	want = append(want, "ok   brokers: all 3 reachable")
	for i, u := range natsURLs {
		want = append(want, fmt.Sprintf("ok   backbone node %s: server %s answers", u, c.Nodes[i].Name))
	}
	want = append(want, "ok   backbone nodes: all 3 reachable",
		"ok   backbone JetStream: the account's JetStream answers: the cluster has a meta leader",
		"FAIL backbone store $MQTT_msgs: kept by interest retention: an event no MQTT subscriber wants is deleted at once, and may never reach FLOORGATE_EVENTS — fix: run floorgate backbone init",
		"FAIL backbone stream FLOORGATE_EVENTS: the events stream does not exist — fix: run floorgate backbone init")
	lines := until(want...)
	assertLines(t, linesOf(lines, "b"), want)

	if _, err := fgsync.SetUpBackbone(ctx, fgsync.BackboneLayout{NATS: c.NATSURLs(), MQTT: c.MQTTURLs()[0], Username: "erp", Password: "erp-secret",
		MaxAge: time.Hour, Leaves: []string{"nosuch"}}); err != nil {
		t.Fatal(err)
	}
	lines = until("ok   backbone store $MQTT_msgs: kept by age (limits retention)",
		"ok   backbone stream FLOORGATE_EVENTS: R3, leader n*, every replica current, * events",
		"ok   backbone sources: 1 of 2 sources of FLOORGATE_EVENTS active",
		"WARN backbone source nosuch: leaf site nosuch: * — fix: check the gateway with mqtt.embedded.leaf.domain nosuch runs and its leaf link is up (floorgate doctor there); its events wait on it meanwhile")
	if l := linesOf(lines, "backbone"); len(l) != 9 {
		t.Errorf("after backbone init:\n%s", strings.Join(l, "\n"))
	}

	// Kill a node that does not lead the events stream.
	var leader string
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, "R3, leader "); ok {
			leader, _, _ = strings.Cut(rest, ",")
		}
	}
	victim := slices.IndexFunc(c.Nodes, func(n *natstest.Node) bool { return n.Name != leader })
	name := c.Nodes[victim].Name
	c.Kill(victim)
	lines = until(
		"WARN broker "+c.MQTTURLs()[victim]+": TCP connect to *",
		"WARN brokers: 1 of 3 down: "+c.MQTTURLs()[victim]+" — fix: the gateway publishes to the others; *",
		"WARN backbone node "+natsURLs[victim]+": * — fix: start nats-server on it *",
		"WARN backbone nodes: 1 of 3 down: "+natsURLs[victim]+" — fix: *",
		"WARN backbone stream FLOORGATE_EVENTS: R3, leader "+leader+"; replicas behind: "+name+" (* — fix: bring "+name+" back (systemctl start nats-server there)*")
	if slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "FAIL") }) {
		t.Errorf("a failure with one node of three down:\n%s", strings.Join(lines, "\n"))
	}
}

// TestDoctorLeafListeners: a gateway joining the cluster as a leaf node
// (mqtt.embedded.leaf) has each of the cluster's leaf listeners checked;
// one down is a warning, all down a failure.
func TestDoctorLeafListeners(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	urls := c.LeafURLs()
	yaml := baseYAML(stateDir(t, 0o700), "", "mqtt", "{embedded_listen: '127.0.0.1:0', embedded: {leaf: {urls: ['"+strings.Join(urls, "', '")+"'], username: erp, password: erp-secret}}}")
	lines, _, err := doctorRun(t, yaml)
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(lines, "\n"))
	}
	var want []string
	for i, u := range urls {
		want = append(want, "ok   leaf listener "+u+": TCP connect ok, a NATS leaf-node listener (server "+c.Nodes[i].Name+")")
	}
	want = append(want, "ok   leaf listeners: all 3 reachable", "ok   leaf link: the gateway is not running; its broker joins the cluster when it starts")
	assertLines(t, linesOf(lines, "leaf"), want)

	c.Kill(1)
	lines, _, _ = doctorRun(t, yaml)
	assertLines(t, linesOf(lines, "leaf"), []string{want[0],
		"WARN leaf listener " + urls[1] + ": TCP connect to *: connection refused — fix: check the cluster node is running (its leafnodes listener), the URL in mqtt.embedded.leaf.urls of * and the firewall",
		want[2],
		"WARN leaf listeners: 1 of 3 down: " + urls[1] + " — fix: the link uses the others; *",
		want[4]})
	c.KillAll()
	lines, _, err = doctorRun(t, yaml)
	if l := linesOf(lines, "leaf listeners"); err == nil || len(l) != 1 ||
		!lineMatches(l[0], "FAIL leaf listeners: none of the 3 is reachable — fix: check the cluster's nodes are running, mqtt.embedded.leaf.urls in * and the firewall") {
		t.Errorf("all down:\n%s", strings.Join(lines, "\n"))
	}
}

// TestDoctorLeafLink: a running gateway joined to a real cluster over
// TLS: each leaf listener passes its TLS handshake with the configured
// CA, and the doctor reads the link's state from the running gateway.
func TestDoctorLeafLink(t *testing.T) {
	certs := mqtttest.NewCerts(t, t.TempDir())
	domain := broker.DomainFor("demo", "gw-1")
	pub, sub := fgsync.LeafPermissions("demo", "gw-1", domain, "", "")
	c := natstest.Start(t, natstest.Options{Users: []natstest.User{{Name: "erp", Password: "erp-secret"},
		{Name: "leaf-demo", Password: "leaf-secret", Publish: pub, Subscribe: sub}}, LeafCert: certs.ServerCert, LeafKey: certs.ServerKey})
	urls := c.LeafURLs()
	g := startGateway(t, func(cfg *gateway.Config) {
		cfg.Site.ID, cfg.Site.Gateway = "demo", "gw-1"
		cfg.MQTT.Embedded.Leaf.URLs = urls
		cfg.MQTT.Embedded.Leaf.Username, cfg.MQTT.Embedded.Leaf.Password = "leaf-demo", "leaf-secret"
		cfg.MQTT.Embedded.Leaf.CAFile = certs.CA
	})
	yaml := baseYAML(g.Config.StateDir, "site: {id: demo, gateway: gw-1}\n", "listen", g.Addr(), "tls", "{mode: self-signed}",
		"mqtt", fmt.Sprintf("{embedded_listen: '%s', embedded: {leaf: {urls: ['%s'], username: leaf-demo, password: leaf-secret, ca_file: %s}}}",
			g.Broker.Addr(), strings.Join(urls, "', '"), certs.CA))
	var want []string
	for i, u := range urls {
		want = append(want, "ok   leaf listener "+u+": TCP connect ok, a NATS leaf-node listener (server "+c.Nodes[i].Name+"), TLS ok")
	}
	want = append(want, "ok   leaf listeners: all 3 reachable",
		"ok   leaf link: domain "+domain+": up to 127.0.0.1:* since *, round trip *")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		lines, _, _ := doctorRun(t, yaml)
		got := linesOf(lines, "leaf")
		if len(got) == len(want) && lineMatches(got[len(got)-1], want[len(want)-1]) || time.Now().After(deadline) {
			assertLines(t, got, want)
			break
		}
	}

	// A CA that did not sign the cluster's certificate.
	other := mqtttest.NewCerts(t, t.TempDir())
	lines, _, _ := doctorRun(t, strings.Replace(yaml, "ca_file: "+certs.CA, "ca_file: "+other.CA, 1))
	got := linesOf(lines, "leaf listener ")
	if len(got) != 3 || !lineMatches(got[0], "FAIL leaf listener "+urls[0]+": TLS handshake with *: tls: failed to verify certificate: * — fix: check mqtt.embedded.leaf.ca_file is the CA that signed the cluster's certificate, the clock, and the client certificate") {
		t.Errorf("wrong CA:\n%s", strings.Join(lines, "\n"))
	}
}
