package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	fgsync "github.com/floorgate/floorgate/sync"
	"github.com/floorgate/floorgate/sync/broker"
)

// backboneCommand lays out a NATS backbone's streams for gateways that
// publish over MQTT straight to the cluster (docs/mqtt-contract.md, §13).
func backboneCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "leaf-user" {
		return leafUserCommand(args[1:], stdout, stderr)
	}
	fs := newFlags("backbone", "init", "Lay out a NATS JetStream backbone: keep the cluster's MQTT store ($MQTT_msgs) by age and source the events stream from it and from the leaf sites' stores (--leaves). Safe to run again. (floorgate backbone leaf-user -h: a leaf site's user on the cluster.)", stdout, stderr)
	natsURLs := fs.String("nats", "", "the cluster nodes' nats:// URLs, comma-separated (required)")
	mqttURL := fs.String("mqtt", "", "one node's MQTT listener, tcp://host:port (required): the cluster creates its MQTT store at the first MQTT connection")
	username := fs.String("username", "", "an account user allowed to manage JetStream")
	password := fs.String("password", "", "its password")
	stream := fs.String("stream", fgsync.DefaultEventsStream, "the events stream")
	replicas := fs.Int("replicas", 3, "replicas of the events stream (1, 3 or 5)")
	maxAge := fs.Duration("max-age", 7*24*time.Hour, "how long both streams keep an event")
	maxBytes := fs.Int64("max-bytes", 0, "the events stream's size limit in bytes (0: none)")
	leaves := fs.String("leaves", "", "JetStream domains of gateways joining as leaf nodes, comma-separated: the events stream is sourced from each one's store too (leaves added before are kept)")
	if err := fs.ParseArgs(args, 1); err != nil {
		return err
	}
	if fs.Arg(0) != "init" {
		return fmt.Errorf("backbone: unknown subcommand %q (init, leaf-user)", fs.Arg(0))
	}
	switch {
	case *natsURLs == "" || *mqttURL == "":
		return fmt.Errorf("backbone init: --nats and --mqtt are required")
	case *replicas != 1 && *replicas != 3 && *replicas != 5:
		return fmt.Errorf("backbone init: --replicas must be 1, 3 or 5, not %d", *replicas)
	case *maxBytes < 0:
		return fmt.Errorf("backbone init: --max-bytes must be 0 (no limit) or more, not %d", *maxBytes)
	case *maxAge < time.Hour:
		return fmt.Errorf("backbone init: --max-age must be at least 1h (the longest outage a gateway may replay across), not %v", *maxAge)
	}
	var domains []string
	for _, d := range strings.Split(*leaves, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		if !broker.ValidDomain(d) || d == broker.DefaultHubDomain {
			return fmt.Errorf("backbone init: --leaves: %q is not a leaf's JetStream domain (1 to 64 letters, digits, - or _, not %q)", d, broker.DefaultHubDomain)
		}
		domains = append(domains, d)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	rep, err := fgsync.SetUpBackbone(ctx, fgsync.BackboneLayout{NATS: *natsURLs, MQTT: *mqttURL, Username: *username, Password: *password,
		Stream: *stream, Replicas: *replicas, MaxAge: *maxAge, MaxBytes: *maxBytes, Leaves: domains})
	if err != nil {
		return err
	}
	changed := "already kept by age"
	if rep.SourceWasChanged {
		changed = "now kept by age"
	}
	fmt.Fprintf(stdout, "%s: %s retention, R%d, %s\n%s: R%d, max age %v, sourced from %s, %d events\n",
		rep.Source, rep.SourceRetention, rep.SourceReplicas, changed, rep.Stream, rep.Replicas, rep.MaxAge, rep.Source, rep.Messages)
	if len(rep.Leaves) > 0 {
		fmt.Fprintf(stdout, "%s: also sourced from the leaves %s\n", rep.Stream, strings.Join(rep.Leaves, ", "))
	}
	return nil
}

// leafUserCommand prints the cluster's user for a leaf site, with the
// rights it needs and no more (fgsync.LeafPermissions), as nats-server
// configuration for the account's users.
func leafUserCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backbone leaf-user", "", "Print the central cluster's user for a gateway joining it as a leaf node (mqtt.embedded.leaf), with only the rights it needs, as a nats-server users entry; then add its domain with backbone init --leaves.", stdout, stderr)
	site := fs.String("site", "", "the gateway's site id (required)")
	gw := fs.String("gateway", "", "the gateway's id (required)")
	domain := fs.String("domain", "", "its JetStream domain, as mqtt.embedded.leaf.domain (default {site}-{gateway})")
	user := fs.String("user", "", "the user name (default leaf-{domain})")
	hub := fs.String("hub-domain", broker.DefaultHubDomain, "the cluster's JetStream domain")
	stream := fs.String("stream", fgsync.DefaultEventsStream, "the central events stream")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	if *site == "" || *gw == "" || strings.ContainsAny(*site+*gw, "/+#") {
		return fmt.Errorf("backbone leaf-user: --site and --gateway are required, without / + #")
	}
	if *domain == "" {
		*domain = broker.DomainFor(*site, *gw)
	}
	if !broker.ValidDomain(*domain) || *domain == *hub {
		return fmt.Errorf("backbone leaf-user: --domain %q: 1 to 64 letters, digits, - or _, not the cluster's %q", *domain, *hub)
	}
	if *user == "" {
		*user = "leaf-" + *domain
	}
	pub, sub := fgsync.LeafPermissions(*site, *gw, *domain, *hub, *stream)
	q := func(ss []string) string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = strconv.Quote(s)
		}
		return strings.Join(out, ", ")
	}
	fmt.Fprintf(stdout, "# site %s, gateway %s: JetStream domain %s (mqtt.embedded.leaf.domain)\n", *site, *gw, *domain)
	fmt.Fprintf(stdout, "# In the events account's users on every node; then: floorgate backbone init … --leaves %s\n", *domain)
	fmt.Fprintf(stdout, "{user: %q, password: \"…\", permissions: {\n  publish: {allow: [%s]},\n  subscribe: {allow: [%s]}\n}}\n", *user, q(pub), q(sub))
	return nil
}
