package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/floorgate/floorgate/gateway"
)

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "", "Run the gateway daemon until interrupted.", stdout, stderr)
	configPath := configFlag(fs)
	stateDir := fs.String("state-dir", "", "directory for the database, and for the local socket unless local_socket is set (overrides the config)")
	listen := fs.String("listen", "", "address for PDAs and the web pages, e.g. :8080 (overrides the config)")
	demo := fs.Bool("demo", false, "seed a demo site on first start, let PDAs enrol themselves, and simulate a label printer for the pack stations when none is configured")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *stateDir != "" {
		cfg.StateDir = *stateDir
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if prefix := os.Getenv("FLOORGATE_PROFILE"); prefix != "" {
		stop, err := startProfiles(prefix)
		if err != nil {
			return err
		}
		defer stop()
	}
	g := gateway.New(cfg)
	g.Demo, g.Out, g.Log = *demo, stdout, gateway.NewLogger(cfg, stderr)
	// A demo with no printer configured gets a simulated one, so its
	// packers see the whole flow.
	g.DemoPrinter = *demo
	g.GCPace = gateway.DaemonGCPace()
	return g.Run(ctx)
}

// startProfiles is the daemon's profiling switch, for benchmarks (bench
// peer --profile) and for chasing a slow site: with FLOORGATE_PROFILE=PREFIX
// the daemon profiles its CPU from start to a clean stop into PREFIX.cpu.pprof
// and writes every blocking event (PREFIX.block.pprof) and mutex contention
// (PREFIX.mutex.pprof) and what it allocated (PREFIX.allocs.pprof) at the
// stop. A kill -9 leaves no profile.
func startProfiles(prefix string) (func(), error) {
	f, err := os.Create(prefix + ".cpu.pprof")
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("profile: %w", err)
	}
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		for _, name := range []string{"block", "mutex", "allocs"} {
			if pf, err := os.Create(prefix + "." + name + ".pprof"); err == nil {
				pprof.Lookup(name).WriteTo(pf, 0)
				pf.Close()
			}
		}
	}, nil
}
