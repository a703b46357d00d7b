package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
)

// TestStoreFullIsVisible fills the gateway's database to store.max_size_mb
// and reads the state where an operator looks: /readyz, /api/v1/status and
// /metrics, through the gateway's own handler on its local socket. Once
// retention has freed room and a write succeeds, they all say so.
func TestStoreFullIsVisible(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	g := startDemo(t, clock, func(c *Config) {
		c.Store.MaxSizeMB = 16 // the least the configuration allows
		// A broker nobody answers on: nothing is acknowledged (no commit)
		// behind the test's back.
		c.MQTT.Brokers = []string{"tcp://127.0.0.1:1"}
	})
	ctx := context.Background()
	c := client.Local(g.Config.SocketPath())
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := c.Raw(ctx, http.MethodGet, path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	type storeStatus struct {
		Store struct {
			Full       bool   `json:"full"`
			Reason     string `json:"reason"`
			Bytes      int64  `json:"bytes"`
			LimitBytes int64  `json:"limit_bytes"`
		} `json:"store"`
	}
	const limit = 16 << 20

	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz before filling: %d %s", code, body)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\nfloorgate_store_full 0\n") ||
		!strings.Contains(body, fmt.Sprintf("\nfloorgate_store_limit_bytes %g\n", float64(limit))) {
		t.Fatalf("/metrics before filling:\n%s", grepLines(body, "floorgate_store_"))
	}

	var err error
	n := 0
	for ; n < 200 && err == nil; n++ {
		err = g.DB.EmitEvents(ctx, []floorgate.Event{padEvent(clock.Now(), n)})
	}
	if floorgate.ErrorCode(err) != floorgate.EUNAVAILABLE {
		t.Fatalf("filling the store: %v (code %q)", err, floorgate.ErrorCode(err))
	}

	code, body := get("/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store full") || !strings.Contains(body, "store.max_size_mb") {
		t.Fatalf("/readyz on a full store: %d %s", code, body)
	}
	var st storeStatus
	if err := c.Get(ctx, "/api/v1/status", &st); err != nil {
		t.Fatal(err)
	}
	if !st.Store.Full || st.Store.Reason != "limit" || st.Store.LimitBytes != limit || st.Store.Bytes <= 0 || st.Store.Bytes > limit {
		t.Fatalf("/api/v1/status on a full store: %+v", st.Store)
	}
	_, body = get("/metrics")
	for _, want := range []string{
		"\nfloorgate_store_full 1\n",
		fmt.Sprintf("\nfloorgate_store_limit_bytes %g\n", float64(limit)),
		fmt.Sprintf("\nfloorgate_store_bytes %g\n", float64(st.Store.Bytes)),
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics on a full store has no %q:\n%s", strings.TrimSpace(want), grepLines(body, "floorgate_store_"))
		}
	}

	// Upstream takes the events and retention prunes them: room again.
	for {
		p, err := g.DB.PendingEvents(0, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			break
		}
		seqs := make([]uint64, len(p))
		for i, e := range p {
			seqs[i] = e.Seq
		}
		if err := g.DB.Ack(ctx, seqs); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(time.Duration(g.Config.Store.RetentionDays+1) * 24 * time.Hour)
	if _, err := g.DB.Prune(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := g.DB.EmitEvents(ctx, []floorgate.Event{padEvent(clock.Now(), n)}); err != nil {
		t.Fatalf("writing after retention: %v", err)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz after retention: %d %s", code, body)
	}
	if err := c.Get(ctx, "/api/v1/status", &st); err != nil || st.Store.Full {
		t.Fatalf("/api/v1/status after retention: %v %+v", err, st.Store)
	}
	if _, body := get("/metrics"); !strings.Contains(body, "\nfloorgate_store_full 0\n") {
		t.Fatalf("/metrics after retention:\n%s", grepLines(body, "floorgate_store_"))
	}
}

// padEvent is an event of about 256 KiB.
func padEvent(at time.Time, n int) floorgate.Event {
	return floorgate.NewEvent("scan.accepted", at, floorgate.ScanRecord{ScanID: fmt.Sprint("pad", n), Data: strings.Repeat("x", 256<<10)})
}

// grepLines is the lines of s that start with prefix.
func grepLines(s, prefix string) string {
	var out []string
	for l := range strings.Lines(s) {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}
