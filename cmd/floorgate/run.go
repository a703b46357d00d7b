package main

import (
	"context"
	"io"

	"github.com/floorgate/floorgate/gateway"
)

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "", "Run the gateway daemon until interrupted.", stdout, stderr)
	configPath := fs.configFlag()
	stateDir := fs.String("state-dir", "", "directory for the database and the local socket (overrides the config)")
	listen := fs.String("listen", "", "address for PDAs and the web pages, e.g. :8080 (overrides the config)")
	demo := fs.Bool("demo", false, "seed a demo site on first start, let PDAs enrol themselves, and simulate a label printer for the pack stations when none is configured")
	if err := fs.parse(args, 0); err != nil {
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
	g := gateway.New(cfg)
	g.Demo, g.Out, g.Log = *demo, stdout, gateway.NewLogger(cfg, stderr)
	// A demo with no printer configured gets a simulated one, so its
	// packers see the whole flow.
	g.DemoPrinter = *demo
	return g.Run(ctx)
}
