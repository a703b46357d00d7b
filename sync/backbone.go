package sync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BackboneLayout is the JetStream layout of a NATS backbone whose gateways
// publish over MQTT straight to the cluster: the cluster's own MQTT store,
// $MQTT_msgs, keeps every QoS 1 message for MaxAge (so a gateway's PUBACK,
// sent once a quorum stored the event there, covers the event for that
// long), and the events stream the ERP reads is sourced from it, by
// sequence, so no event a PUBACK confirmed is missing from it however its
// nodes fail.
type BackboneLayout struct {
	// NATS is the cluster nodes' client URLs, comma-separated; MQTT one
	// node's MQTT listener (tcp://…), used once so that the cluster
	// creates its MQTT store. Username and Password are an account user
	// allowed to manage JetStream.
	NATS, MQTT         string
	Username, Password string
	// Stream is the events stream; DefaultEventsStream by default.
	Stream string
	// Replicas of the events stream; 3 by default.
	Replicas int
	// MaxAge bounds both streams (7 days by default); MaxBytes the events
	// stream (unbounded when 0).
	MaxAge   time.Duration
	MaxBytes int64
	// Leaves are the JetStream domains of gateways that join the cluster
	// as leaf nodes (broker.Leaf): the events stream is also sourced from
	// each one's own MQTT store, through the leaf link. Leaves already
	// sourced and not listed are kept: a site is never dropped by
	// omission.
	Leaves []string
}

// BackboneReport says what SetUpBackbone found and left.
type BackboneReport struct {
	Stream, Source   string
	Replicas         int
	SourceReplicas   int
	MaxAge           time.Duration
	Messages         uint64
	SourceRetention  string
	SourceWasChanged bool
	// Leaves are the leaf domains the events stream is sourced from.
	Leaves []string
}

// mqttStore is the stream nats-server keeps an account's MQTT QoS 1
// messages in.
const mqttStore = "$MQTT_msgs"

// mqttSetupPatience is how long SetUpBackbone keeps trying its first
// MQTT connection.
const mqttSetupPatience = 60 * time.Second

// SetUpBackbone lays out the backbone's streams, or brings an existing
// layout to what l says; it can be run again at any time.
func SetUpBackbone(ctx context.Context, l BackboneLayout) (BackboneReport, error) {
	if l.Stream == "" {
		l.Stream = DefaultEventsStream
	}
	if l.Replicas == 0 {
		l.Replicas = 3
	}
	if l.MaxAge == 0 {
		l.MaxAge = 7 * 24 * time.Hour
	}
	var rep BackboneReport
	// The cluster creates an account's MQTT store at its first MQTT
	// connection.
	o := mqtt.NewClientOptions().AddBroker(l.MQTT).SetClientID("floorgate-backbone-setup").SetCleanSession(true).
		SetUsername(l.Username).SetPassword(l.Password).SetConnectTimeout(10 * time.Second).SetAutoReconnect(false)
	// A cluster just formed, or busy, may close that first connection
	// while it is still creating the store: try again for a while.
	mc := mqtt.NewClient(o)
	for deadline := time.Now().Add(mqttSetupPatience); ; {
		err := wait(ctx, mc.Connect())
		if err == nil {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return rep, fmt.Errorf("backbone: MQTT connect %s: %w", l.MQTT, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	mc.Disconnect(100)

	nc, err := nats.Connect(l.NATS, nats.UserInfo(l.Username, l.Password))
	if err != nil {
		return rep, fmt.Errorf("backbone: connect %s: %w", l.NATS, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return rep, fmt.Errorf("backbone: %w", err)
	}
	var store jetstream.Stream
	for deadline := time.Now().Add(30 * time.Second); ; {
		if store, err = js.Stream(ctx, mqttStore); err == nil || !errors.Is(err, jetstream.ErrStreamNotFound) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return rep, fmt.Errorf("backbone: the cluster's MQTT store %s: %w", mqttStore, err)
	}
	cfg := store.CachedInfo().Config
	if cfg.Retention != jetstream.LimitsPolicy || cfg.MaxAge != l.MaxAge {
		// By default the store forgets a message as soon as no MQTT
		// subscriber wants it: kept by age, it is the events' source.
		cfg.Retention, cfg.MaxAge = jetstream.LimitsPolicy, l.MaxAge
		if store, err = js.UpdateStream(ctx, cfg); err != nil {
			return rep, fmt.Errorf("backbone: keep %s by age: %w", mqttStore, err)
		}
		rep.SourceWasChanged = true
	}
	rep.Source, rep.SourceRetention, rep.SourceReplicas = mqttStore, store.CachedInfo().Config.Retention.String(), store.CachedInfo().Config.Replicas
	leaves := map[string]bool{}
	for _, d := range l.Leaves {
		leaves[d] = true
	}
	if old, err := js.Stream(ctx, l.Stream); err == nil {
		for _, src := range old.CachedInfo().Config.Sources {
			if d, ok := leafDomainOf(src); ok {
				leaves[d] = true
			}
		}
	} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return rep, fmt.Errorf("backbone: stream %s: %w", l.Stream, err)
	}
	sources := []*jetstream.StreamSource{eventsSource(nil)}
	for _, d := range slices.Sorted(maps.Keys(leaves)) {
		sources = append(sources, eventsSource(&jetstream.ExternalStream{APIPrefix: "$JS." + d + ".API"}))
		rep.Leaves = append(rep.Leaves, d)
	}
	events, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: l.Stream, Replicas: l.Replicas,
		Storage: jetstream.FileStorage, MaxAge: l.MaxAge, MaxBytes: maxBytes(l.MaxBytes),
		Description: "floorgate: every site's events, sourced from the cluster's MQTT store and the leaf sites' stores",
		Sources:     sources})
	if err != nil {
		return rep, fmt.Errorf("backbone: stream %s: %w", l.Stream, err)
	}
	info := events.CachedInfo()
	rep.Stream, rep.Replicas, rep.MaxAge, rep.Messages = l.Stream, info.Config.Replicas, info.Config.MaxAge, info.State.Msgs
	return rep, nil
}

func maxBytes(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// eventsSource is the events stream's source of one MQTT store: the
// cluster's own (ext nil) or a leaf site's, reached through its domain.
func eventsSource(ext *jetstream.ExternalStream) *jetstream.StreamSource {
	return &jetstream.StreamSource{Name: mqttStore, External: ext,
		SubjectTransforms: []jetstream.SubjectTransformConfig{{Source: "$MQTT.msgs.floorgate.v1.*.*.events",
			Destination: "floorgate.v1.{{wildcard(1)}}.{{wildcard(2)}}.events"}}}
}

// leafDomainOf is the domain of a leaf site's source.
func leafDomainOf(src *jetstream.StreamSource) (string, bool) {
	if src.External == nil || src.Name != mqttStore {
		return "", false
	}
	d, ok := strings.CutPrefix(src.External.APIPrefix, "$JS.")
	if !ok {
		return "", false
	}
	d, ok = strings.CutSuffix(d, ".API")
	return d, ok && d != ""
}
