package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/floorgate/floorgate/client"
	fgsync "github.com/floorgate/floorgate/sync"
)

// backboneCheck checks the NATS backbone, when the gateway joins one as a
// leaf node (mqtt.embedded.leaf) or nats names its cluster: the cluster's
// leaf listeners, the running gateway's leaf link, and with nats the
// cluster's JetStream side (sync.CheckBackbone). Otherwise it says
// nothing.
type backboneCheck struct {
	// nats is the cluster's client URLs, comma-separated, and user and
	// password an account user that may read its JetStream state
	// (Doctor.Backbone).
	nats, user, password string
}

var _ Check = backboneCheck{}

func (backboneCheck) Name() string { return "backbone" }

func (c backboneCheck) Run(ctx context.Context, s *Site) []Finding {
	leaf := s.Config.MQTT.Embedded.Leaf
	leafMode := leaf.Enabled() && len(s.Config.MQTT.Brokers) == 0
	if !leafMode && c.nats == "" {
		return nil
	}
	var out []Finding
	bc := fgsync.BackboneCheck{NATS: c.nats, Username: c.user, Password: c.password,
		Stream: leaf.Stream, Timeout: netTimeout}
	if leafMode {
		t, err := (fgsync.Config{CAFile: leaf.CAFile, CertFile: leaf.CertFile, KeyFile: leaf.KeyFile}).TLSConfig()
		if err != nil {
			out = append(out, failed("leaf TLS", "see the credentials checks; fix mqtt.embedded.leaf in "+s.configName(), "%v", err))
		}
		bc.LeafURLs, bc.LeafTLS = leaf.URLs, t
	}
	h := fgsync.CheckBackbone(ctx, bc)
	if leafMode {
		var fs []Finding
		for _, ep := range h.Leaves {
			fs = append(fs, leafListener(s, ep))
		}
		if len(fs) > 1 {
			fs = someDown(fs, "leaf listeners", "the link uses the others; bring the down nodes back, or remove them from mqtt.embedded.leaf.urls in "+s.configName(),
				"check the cluster's nodes are running, mqtt.embedded.leaf.urls in "+s.configName()+" and the firewall")
		}
		out = append(out, fs...)
		out = append(out, leafLink(ctx, s))
	}
	if h.Cluster != nil {
		out = append(out, backboneCluster(h.Cluster)...)
	}
	return out
}

// leafListener is the finding of one of the cluster's leaf listeners.
func leafListener(s *Site, ep fgsync.Endpoint) Finding {
	check := "leaf listener " + ep.URL
	if ep.Err != nil {
		fix := "check the cluster node is running (its leafnodes listener), the URL in mqtt.embedded.leaf.urls of " + s.configName() + " and the firewall"
		if strings.Contains(ep.Err.Error(), "TLS handshake") {
			fix = "check mqtt.embedded.leaf.ca_file is the CA that signed the cluster's certificate, the clock, and the client certificate"
		}
		return failed(check, fix, "%v", ep.Err)
	}
	what := "TCP connect ok, a NATS leaf-node listener"
	if ep.Server != "" {
		what += " (server " + ep.Server + ")"
	}
	if ep.TLS {
		what += ", TLS ok"
	}
	return passed(check, "%s", what)
}

// leafLink reads the running gateway's leaf link from its status, over
// the local socket.
func leafLink(ctx context.Context, s *Site) Finding {
	const check = "leaf link"
	if !s.DaemonRunning {
		return passed(check, "the gateway is not running; its broker joins the cluster when it starts")
	}
	var st struct {
		Leaf *struct {
			Domain    string    `json:"domain"`
			HubDomain string    `json:"hub_domain"`
			Connected bool      `json:"connected"`
			Remote    string    `json:"remote"`
			RTT       string    `json:"rtt"`
			Since     time.Time `json:"since"`
		} `json:"leaf"`
	}
	sock := s.Config.SocketPath()
	err := client.Local(sock).Get(ctx, "/api/v1/status", &st)
	switch {
	case errors.Is(err, os.ErrPermission):
		return warned(check, "run doctor as root or as a member of group floorgate", "the local socket %s, which would tell the link's state, is not open to %s", sock, currentUser())
	case err != nil:
		return warned(check, "restart the gateway (systemctl restart floorgate) if it does not answer", "the running gateway's status: %v", err)
	case st.Leaf == nil:
		return warned(check, "restart the gateway (systemctl restart floorgate): it runs with an older configuration", "the running gateway has no leaf link")
	case !st.Leaf.Connected:
		return failed(check, "see the leaf listener lines above; check mqtt.embedded.leaf.username and password, and the cluster's log for this domain",
			"domain %s: down since %s", st.Leaf.Domain, st.Leaf.Since.UTC().Format(time.RFC3339))
	}
	return passed(check, "domain %s: up to %s since %s, round trip %s", st.Leaf.Domain, st.Leaf.Remote, st.Leaf.Since.UTC().Format(time.RFC3339), st.Leaf.RTT)
}

// backboneCluster are the findings of the cluster's JetStream side.
func backboneCluster(h *fgsync.ClusterHealth) []Finding {
	var out []Finding
	var nodes []Finding
	for _, n := range h.Nodes {
		check := "backbone node " + n.URL
		if n.Err != nil {
			fix := "start nats-server on it (systemctl start nats-server), or check the URL in --backbone and the firewall"
			if strings.Contains(strings.ToLower(n.Err.Error()), "authorization") {
				fix = "check --backbone-user and --backbone-password: an account user of the cluster"
			}
			nodes = append(nodes, failed(check, fix, "%v", n.Err))
			continue
		}
		nodes = append(nodes, passed(check, "server %s answers", n.Server))
	}
	if len(nodes) > 1 {
		nodes = someDown(nodes, "backbone nodes", "bring the down nodes back (systemctl start nats-server): the cluster runs on a majority, with no node to spare",
			"check the cluster is running, the URLs in --backbone and the firewall")
	}
	out = append(out, nodes...)
	if h.JetStream != nil {
		return append(out, failed("backbone JetStream", "check a majority of the nodes run with JetStream enabled for the account; see nats-server's log",
			"the account's JetStream does not answer (no meta leader, or not enabled): %v", h.JetStream))
	}
	out = append(out, passed("backbone JetStream", "the account's JetStream answers: the cluster has a meta leader"))

	store := "backbone store $MQTT_msgs"
	switch {
	case h.StoreMissing:
		out = append(out, warned(store, "run floorgate backbone init", "the cluster's MQTT store does not exist yet: no MQTT client has connected"))
	case h.StoreErr != nil:
		out = append(out, failed(store, "see nats-server's log; run floorgate backbone init", "%v", h.StoreErr))
	case h.StoreRetention != "Limits":
		out = append(out, failed(store, "run floorgate backbone init",
			"kept by %s retention: an event no MQTT subscriber wants is deleted at once, and may never reach %s", strings.ToLower(h.StoreRetention), h.Stream))
	default:
		out = append(out, passed(store, "kept by age (limits retention)"))
	}

	check := "backbone stream " + h.Stream
	switch {
	case h.StreamMissing:
		return append(out, failed(check, "run floorgate backbone init", "the events stream does not exist"))
	case h.StreamErr != nil:
		return append(out, failed(check, "check a majority of its replicas' nodes run; see nats-server's log", "%v", h.StreamErr))
	case h.Leader == "" && h.Replicas > 1:
		out = append(out, failed(check, "bring back a majority of the nodes that hold it", "R%d with no leader: events are not stored", h.Replicas))
	}
	var behind []string
	for _, p := range h.Peers {
		if p.Lagging() {
			state := "not current"
			if p.Offline {
				state = "offline"
			}
			behind = append(behind, fmt.Sprintf("%s (%s, last seen %s ago)", p.Name, state, p.Active.Round(time.Second)))
		}
	}
	switch {
	case len(behind) > 0:
		out = append(out, warned(check, "bring "+strings.Join(peerNames(h.Peers), ", ")+" back (systemctl start nats-server there); the stream keeps working while a majority is current",
			"R%d, leader %s; replicas behind: %s", h.Replicas, h.Leader, strings.Join(behind, ", ")))
	case h.Replicas < 3:
		out = append(out, warned(check, "run floorgate backbone init --replicas 3", "R%d: losing one node loses events", h.Replicas))
	case h.Leader != "" || h.Replicas == 1:
		out = append(out, passed(check, "R%d, leader %s, every replica current, %d events", h.Replicas, h.Leader, h.Messages))
	}

	var stalled []Finding
	active := 0
	for _, s := range h.Sources {
		if !s.Stalled {
			active++
			continue
		}
		what := "never heard from"
		if s.Active >= 0 {
			what = fmt.Sprintf("last heard from %s ago", s.Active.Round(time.Second))
		}
		if s.Err != "" {
			what += "; " + s.Err
		}
		if s.Domain == "" {
			stalled = append(stalled, failed("backbone source $MQTT_msgs", "see nats-server's log on the stream's leader; run floorgate backbone init",
				"the cluster's own MQTT store: %s", what))
			continue
		}
		stalled = append(stalled, warned("backbone source "+s.Domain,
			"check the gateway with mqtt.embedded.leaf.domain "+s.Domain+" runs and its leaf link is up (floorgate doctor there); its events wait on it meanwhile",
			"leaf site %s: %s", s.Domain, what))
	}
	if len(h.Sources) > 0 {
		out = append(out, passed("backbone sources", "%d of %d sources of %s active", active, len(h.Sources), h.Stream))
	}
	return append(out, stalled...)
}

// peerNames are the replicas that are behind.
func peerNames(ps []fgsync.Replica) []string {
	var names []string
	for _, p := range ps {
		if p.Lagging() {
			names = append(names, p.Name)
		}
	}
	return names
}
