// Command floorgate-bench measures floorgate against the baselines a
// bench needs (package bench): make bench runs every bench and writes
// bench/report.md. It is a development tool, built next to floorgate and
// not shipped in the package: it starts brokers, NATS clusters and load
// generators, and draws the report's chart.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/bench"
)

func main() {
	// The gateways a bench runs in this process collect as the daemon's.
	gateway.TuneProcessGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
