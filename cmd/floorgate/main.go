// Command floorgate is the warehouse-floor gateway: the daemon (run), a
// floor simulator (sim), the benchmark (bench), task import (tasks) and
// version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/floorgate/floorgate"
)

const usage = `floorgate — the warehouse-floor gateway

Usage:
  floorgate run [--config FILE] [--state-dir DIR] [--listen ADDR] [--demo]
  floorgate sim --pdas N [--addr URL] [--wrong SHARE] [--tasks N]
  floorgate bench scan|degraded|mem|sync|print|report …
  floorgate tasks import [--addr URL | --state-dir DIR --config FILE] FILE
  floorgate tasks cancel [--addr URL] ID REASON
  floorgate erp-tail [--broker URL] [--share GROUP] [--out FILE] [--replay]
  floorgate barcode explain [--json] [--addr URL] DATA
  floorgate profiles validate [DIR]
  floorgate devices [--profiles DIR]
  floorgate udev-rules [--profiles DIR]
  floorgate label render --template NAME --data FILE --format zpl|tspl|escpos|png
  floorgate print test [--config FILE] PRINTER
  floorgate backup [--config FILE] [--state-dir DIR] [--addr URL] FILE
  floorgate backup --verify FILE
  floorgate restore [--config FILE] [--state-dir DIR] FILE
  floorgate doctor [--config FILE]
  floorgate version

Run "floorgate COMMAND -h" for a command's flags.
`

// The gateway's heap is small (master data, open tasks, a few kilobytes a
// PDA) and every scan allocates a little. Collecting once the heap has
// grown by a quarter of what is live, instead of Go's default of doubling,
// keeps the resident memory of a site with hundreds of PDAs close to what
// it holds (bench mem); the collector's extra work is small at a floor's
// pace (a 256-PDA bench still answers over 17,000 scans a second here).
// The soft limit keeps a large site bounded. GOGC and GOMEMLIMIT in the
// environment still win.
const (
	gcPercent   = 25
	memoryLimit = 2 << 30
)

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
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "floorgate:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "run":
		return runCommand(ctx, args[1:], stdout, stderr)
	case "sim":
		return simCommand(ctx, args[1:], stdout)
	case "bench":
		return benchCommand(ctx, args[1:], stdout, stderr)
	case "tasks":
		return tasksCommand(ctx, args[1:], stdout)
	case "profiles":
		return profilesCommand(args[1:], stdout)
	case "devices":
		return devicesCommand(args[1:], stdout, stderr)
	case "udev-rules":
		return udevRulesCommand(args[1:], stdout, stderr)
	case "label":
		return labelCommand(args[1:], stdout, stderr)
	case "print":
		return printTestCommand(ctx, args[1:], stdout, stderr)
	case "doctor":
		return doctorCommand(ctx, args[1:], stdout, stderr)
	case "barcode":
		return barcodeCommand(ctx, args[1:], stdout, stderr)
	case "backup":
		return backupCommand(ctx, args[1:], stdout, stderr)
	case "restore":
		return restoreCommand(args[1:], stdout, stderr)
	case "erp-tail":
		return erpTailCommand(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "floorgate", floorgate.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
