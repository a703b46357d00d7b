package main

import (
	"context"
	"io"

	"github.com/floorgate/floorgate/doctor"
)

// doctorCommand is `floorgate doctor [--config FILE]`.
func doctorCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("doctor", "", "Check the configuration, state directory, credentials, devices, printers, brokers, clock, listener\nand local socket; one line each, with what to do. The exit status says whether the gateway is healthy.", stdout, stderr)
	configPath := fs.configFlag()
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	return (&doctor.Doctor{ConfigPath: configFile(*configPath)}).Run(ctx, stdout)
}
