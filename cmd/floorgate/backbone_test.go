package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/sync/natstest"
)

// TestBackboneInit lays out a real three-node cluster with floorgate
// backbone init, then again: the second run finds nothing to change.
// Bad flags are refused before anything is touched.
func TestBackboneInit(t *testing.T) {
	c := natstest.Start(t, natstest.Options{})
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := backboneCommand(context.Background(), args, &out, &errb)
		return out.String() + errb.String(), err
	}
	base := []string{"init", "--nats", c.NATSURLs(), "--mqtt", c.MQTTURLs()[0], "--username", "erp", "--password", "erp-secret"}
	out, err := run(base...)
	if err != nil || !strings.Contains(out, "$MQTT_msgs: Limits retention, R3, now kept by age") || !strings.Contains(out, "FLOORGATE_EVENTS: R3, max age 168h0m0s, sourced from $MQTT_msgs") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	if out, err = run(base...); err != nil || !strings.Contains(out, "already kept by age") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"init", "--nats", c.NATSURLs()},
		append(append([]string{}, base...), "--replicas", "2"),
		append(append([]string{}, base...), "--max-age", "10m"),
		append(append([]string{}, base...), "--max-bytes", "-5"),
		{"setup"},
	} {
		if _, err := run(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
