// Command floorgate is the warehouse-floor gateway: the daemon (run) and
// the tools around it. It parses command lines and wires packages; the
// daemon is package gateway, every HTTP route is package web, and every
// command that talks to a running gateway does so through package client.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"

	"github.com/floorgate/floorgate/gateway"

	"github.com/floorgate/floorgate"
)

// The gateway's heap is small (master data, open tasks, a few kilobytes a
// PDA) and every scan allocates a little. Collecting once the heap has
// grown by a quarter of what is live, instead of Go's default of doubling,
// keeps the resident memory of a site with hundreds of PDAs close to what
// it holds (bench mem); the collector's extra work is small at a floor's
// pace.
// While the floor is busy (thousands of scans a second) the daemon's
// collector runs at Go's default pace instead (gateway.GCPace): marking the
// long-lived heap every few megabytes of scans would take the CPU the
// verdicts need. The soft limit keeps a large site bounded. GOGC and
// GOMEMLIMIT in the environment still win.
const (
	gcPercent   = 25
	memoryLimit = 2 << 30
)

// daemonGCPace is the collector's pace a gateway runs with: by the load,
// from main's quiet pace; nil (left alone) when GOGC is in the environment,
// the operator's choice.
func daemonGCPace() *gateway.GCPace {
	if os.Getenv("GOGC") != "" {
		return nil
	}
	pace := gateway.DefaultGCPace
	pace.Quiet = gcPercent
	return &pace
}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode reports err and says how the process ends: 0 for success, a
// clean stop or a help request, 2 for a command line it cannot take, 1
// for a failure.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "floorgate:", err)
		return 2
	}
	fmt.Fprintln(stderr, "floorgate:", err)
	return 1
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
		{"sim", "drive a gateway with simulated PDAs", simCommand},
		{"bench", "measure the gateway (scan, degraded, mem, sync, print, kpi, report)", benchCommand},
		{"version", "print the version", versionCommand},
		{"help", "list the commands, or show one's usage", nil},
	}
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
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "floorgate", floorgate.Version)
	return nil
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return usagef("no command given")
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
	return usagef("unknown command %q", name)
}

// subcommand picks a group's subcommand ("tasks import"): -h lists them,
// an unknown one is a usage error.
func subcommand(group string, args []string, subs map[string]string, stdout, stderr io.Writer) (string, []string, error) {
	list := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: floorgate %s SUBCOMMAND [flags]\n\nSubcommands:\n", group)
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "  %-10s %s\n", n, subs[n])
		}
		fmt.Fprintf(w, "\nRun \"floorgate %s SUBCOMMAND -h\" for its flags.\n", group)
	}
	if len(args) == 0 {
		list(stderr)
		return "", nil, usagef("%s: want a subcommand", group)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		list(stdout)
		return "", nil, flag.ErrHelp
	}
	if _, ok := subs[args[0]]; !ok {
		list(stderr)
		return "", nil, usagef("%s: unknown subcommand %q", group, args[0])
	}
	return args[0], args[1:], nil
}
