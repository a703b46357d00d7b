package ws_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/floorgate/floorgate/device/ws/wsclient"
)

// benchFloor answers every scan at once, so the benchmark measures the wire.
type benchFloor struct{ fakeFloor }

func (*benchFloor) Hello(context.Context, string, string, string) (floorgate.Welcome, error) {
	return floorgate.Welcome{Site: "SZ-01", Gateway: "gw", Prompt: itemPrompt}, nil
}

func (*benchFloor) Scan(_ context.Context, sc floorgate.Scan) (floorgate.Verdict, error) {
	return floorgate.NewVerdict(sc.ID, floorgate.CodeItemOK, itemPrompt), nil
}

// BenchmarkScan is 256 PDAs scanning one request at a time against one
// server in the same process; ns/op is per verdict.
func BenchmarkScan(b *testing.B) {
	const devices = 256
	srv := ws.NewServer(&benchFloor{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), ws.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")

	clients := make([]*wsclient.Client, devices)
	for i := range clients {
		c, _, err := wsclient.Dial(context.Background(), url, fmt.Sprintf("pda-%d", i), "t", "bench")
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := floorgate.Scan{Data: "6901234567892", AIM: "]E0", DistanceMM: 70}
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				sc.ID = fmt.Sprintf("%s-%d", c.Device(), n)
				if _, err := c.Scan(context.Background(), sc); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verdicts/s")
}
