package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	fgsync "github.com/floorgate/floorgate/sync"
)

// erpTailCommand runs the reference ERP consumer until interrupted, then
// prints what it saw: events, duplicates and gaps per gateway.
func erpTailCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("erp-tail", "", "The reference ERP consumer: read every gateway's events, report duplicates and gaps, and ask for replays.", stdout, stderr)
	brokerURL := fs.String("broker", "tcp://127.0.0.1:1883", "the MQTT broker")
	share := fs.String("share", "", "join shared-subscription group GROUP to split the load with other consumers (not on the embedded broker)")
	out := fs.String("out", "-", "write each new event as a JSON line to FILE (- for standard output)")
	replay := fs.Bool("replay", false, "ask gateways to publish again the events missing from their sequence")
	filter := fs.String("filter", "floorgate/v1/+/+/events", "events topic filter")
	host, _ := os.Hostname()
	clientID := fs.String("client-id", fgsync.DefaultTailClientID(host), "MQTT client id: the broker keeps the persistent session under it, and the next run resumes it; the default is the same on every run on this host (give a second consumer on the host its own)")
	username := fs.String("username", "", "MQTT user name (with --nats, the NATS user's)")
	password := fs.String("password", "", "MQTT password (with --nats, the NATS user's)")
	natsURLs := fs.String("nats", "", "read the NATS backbone's events stream instead of MQTT: the cluster nodes' nats:// URLs, comma-separated")
	stream := fs.String("stream", fgsync.DefaultEventsStream, "with --nats: the events stream")
	durable := fs.String("durable", fgsync.DefaultDurable, "with --nats: the durable consumer this consumer's workers share with other erp-tail processes")
	workers := fs.Int("workers", 2, "with --nats: workers pulling the durable consumer in this process (each event goes to one)")
	commands := fs.String("mqtt", "", "with --nats: the cluster's MQTT listener (tcp://host:1883) the replay requests go through, at QoS 1, kept for a gateway that is away and reaching leaf sites; without it they go as plain NATS messages, which reach only gateways connected over MQTT right then")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	if !strings.HasSuffix(*filter, "/events") {
		return fmt.Errorf("erp-tail: --filter must end in /events")
	}
	if *natsURLs != "" && *share != "" {
		return fmt.Errorf("erp-tail: --share is for MQTT; on the NATS backbone the workers share --durable")
	}
	if *commands != "" && *natsURLs == "" {
		return fmt.Errorf("erp-tail: --mqtt is for --nats; without --nats, --broker is the MQTT broker")
	}
	if *workers < 1 || *workers > 64 {
		return fmt.Errorf("erp-tail: --workers must be 1 to 64, not %d", *workers)
	}
	w := stdout
	if *out != "-" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("erp-tail: %w", err)
		}
		defer f.Close()
		w = f
	}
	tail := fgsync.NewTail(fgsync.TailConfig{Broker: *brokerURL, ClientID: *clientID, Username: *username, Password: *password,
		Filter: *filter, Share: *share, Replay: *replay, Out: w, Log: slog.New(slog.NewTextHandler(stderr, nil)),
		NATS: *natsURLs, Stream: *stream, Durable: *durable, Workers: *workers, Commands: *commands})
	if err := tail.Start(ctx); err != nil {
		return err
	}
	if *natsURLs != "" {
		fmt.Fprintf(stderr, "erp-tail: %d workers on durable consumer %s of stream %s (%s) on %s; Ctrl-C to stop\n", *workers, *durable, *stream, *filter, *natsURLs)
	} else {
		fmt.Fprintf(stderr, "erp-tail: subscribed to %s on %s as %s; Ctrl-C to stop\n", *filter, *brokerURL, tail.ClientID())
	}
	<-ctx.Done()
	tail.Close()
	s := tail.Stats()
	fmt.Fprintf(stderr, "erp-tail: %d received, %d unique, %d duplicates, %d replay requests\n", s.Received, s.Unique, s.Duplicates, s.Replays)
	keys := make([]string, 0, len(s.Contiguous))
	for k := range s.Contiguous {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		given := ""
		if n := s.GivenUp[k]; n > 0 {
			given = fmt.Sprintf(" (%d of them no longer asked for)", n)
		}
		fmt.Fprintf(stderr, "  %s: complete up to seq %d, %d missing%s\n", k, s.Contiguous[k], len(s.Gaps[k]), given)
		if inc := s.Incarnation[k]; s.IncarnationChanges[k] > 0 || s.Superseded[k] > 0 {
			from := ""
			if inc.RestoredFrom != "" {
				from = fmt.Sprintf(", restored from %s at seq %d", inc.RestoredFrom, inc.RestoredSeq)
			}
			fmt.Fprintf(stderr, "    incarnation %s from seq %d%s; %d new incarnations seen, %d events superseded by them\n",
				inc.ID, inc.FirstSeq, from, s.IncarnationChanges[k], s.Superseded[k])
		}
	}
	return nil
}
