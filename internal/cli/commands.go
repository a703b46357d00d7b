// Package cli is floorgate's command line: every subcommand's flags,
// usage and output. It parses command lines and wires packages; the daemon
// is package gateway, every HTTP route is package web, and every command
// that talks to a running gateway does so through package client.
package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/cmdline"
	"github.com/floorgate/floorgate/internal/sim"
)

// Main runs the command line args (without the program's name) and
// returns the process's exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return cmdline.ExitCode(prog, dispatch(ctx, args, stdout, stderr), stderr)
}

// command is one of floorgate's subcommands.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is every subcommand, in the order help lists them.
func commands() []command {
	return []command{
		{"run", "run the gateway daemon", runCommand},
		{"status", "show what the running gateway knows: links, outbox, printers, devices", statusCommand},
		{"operators", "add, list, disable, enable operators and set their PINs", operatorsCommand},
		{"master", "import master data (locations, items, operators) from a file", masterCommand},
		{"tokens", "create, list and revoke API tokens for other programs", tokensCommand},
		{"tasks", "import pick tasks from a file, or cancel one", tasksCommand},
		{"waves", "list waves, or release a held one", wavesCommand},
		{"backup", "write a verified copy of the gateway's database, or verify one", backupCommand},
		{"restore", "put a backup in place of a stopped gateway's database", func(_ context.Context, a []string, o, e io.Writer) error { return restoreCommand(a, o, e) }},
		{"doctor", "check the configuration, devices, printers, brokers and listener", doctorCommand},
		{"barcode", "explain scanned data (AIM id, GS1 fields) and look it up at the site", barcodeCommand},
		{"label", "render a label template to printer commands or PNG", func(_ context.Context, a []string, o, e io.Writer) error { return labelCommand(a, o, e) }},
		{"template", "list and validate the label templates", func(_ context.Context, a []string, o, e io.Writer) error { return templateCommand(a, o, e) }},
		{"print", "print a test waybill on a configured printer", printTestCommand},
		{"profiles", "validate device profiles", func(_ context.Context, a []string, o, e io.Writer) error { return profilesCommand(a, o, e) }},
		{"devices", "list the serial and USB scanners attached to this machine", func(_ context.Context, a []string, o, e io.Writer) error { return devicesCommand(a, o, e) }},
		{"udev-rules", "print udev rules that give scanners stable names", func(_ context.Context, a []string, o, e io.Writer) error { return udevRulesCommand(a, o, e) }},
		{"erp-tail", "the reference ERP consumer: read events, find gaps, ask for replays", erpTailCommand},
		{"backbone", "lay out a NATS JetStream backbone's streams (init), print a leaf site's user (leaf-user)", backboneCommand},
		{"sim", "drive a gateway with simulated PDAs", sim.Command},
		{"version", "print the version", versionCommand},
		{"help", "list the commands, or show one's usage", nil},
	}
}

// CommandNames are floorgate's commands, in the order help lists them:
// what the README's layout table must name, each once.
func CommandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// printHelp lists the commands with their descriptions.
func printHelp(w io.Writer) {
	fmt.Fprintf(w, "floorgate — the warehouse-floor gateway\n\nUsage: floorgate COMMAND [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun \"floorgate COMMAND -h\" for a command's usage and flags. Commands that reach the running gateway\n"+
		"use its local socket (their user must be in the floorgate group), or --addr with an API token.\n")
}

func versionCommand(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "", "Print floorgate's version.", stdout, stderr)
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "floorgate", floorgate.Version)
	return nil
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return cmdline.Usagef("no command given")
	}
	name := args[0]
	switch name {
	case "-h", "--help":
		printHelp(stdout)
		return nil
	case "--version", "-version":
		return versionCommand(ctx, nil, stdout, stderr)
	case "help":
		if len(args) > 1 {
			return dispatch(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		printHelp(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	printHelp(stderr)
	return cmdline.Usagef("unknown command %q", name)
}
