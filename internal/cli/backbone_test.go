package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	fgsync "github.com/floorgate/floorgate/sync"
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

// TestBackboneLeafUser: leaf-user prints the site's user with exactly the
// rights sync.LeafPermissions gives, and refuses what is not a domain.
func TestBackboneLeafUser(t *testing.T) {
	var out bytes.Buffer
	if err := backboneCommand(context.Background(), []string{"leaf-user", "--site", "SZ.01", "--gateway", "gw-1"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	pub, sub := fgsync.LeafPermissions("SZ.01", "gw-1", "SZ_01-gw-1", "", "")
	for _, want := range append(append([]string{`user: "leaf-SZ_01-gw-1"`, "--leaves SZ_01-gw-1"}, pub...), sub...) {
		if !strings.Contains(out.String(), want) {
			t.Errorf("leaf-user output lacks %s:\n%s", want, out.String())
		}
	}
	for _, bad := range [][]string{
		{"leaf-user", "--site", "SZ-01"},
		{"leaf-user", "--site", "SZ-01", "--gateway", "gw-1", "--domain", "a.b"},
		{"leaf-user", "--site", "SZ-01", "--gateway", "gw-1", "--domain", "hub"},
	} {
		if err := backboneCommand(context.Background(), bad, &out, &out); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
