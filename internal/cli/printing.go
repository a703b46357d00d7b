package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cmdline"
	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/template"
)

// printTestCommand prints a test waybill on a configured printer and
// reports its state before and after.
func printTestCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, args, err := cmdline.Subcommand(prog, "print", args, map[string]string{
		"test": "print a test waybill on a configured printer and report its state",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	fs := newFlags("print test", "PRINTER", "Print a test waybill on the configured printer PRINTER and report its state before and after.", stdout, stderr)
	configPath := configFlag(fs)
	if err := fs.ParseArgs(args, 1); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	for _, p := range gateway.OpenPrinters(cfg) {
		if p.ID() != fs.Arg(0) {
			continue
		}
		defer p.Close()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s := gateway.NewDemo().Shipments()[0]
		s.Order, s.Tracking = "TEST-PRINT", "TEST"+time.Now().Format("20060102150405")
		set, err := template.Load(cfg.Labels.TemplatesDir)
		if err != nil {
			return fmt.Errorf("print test: %w", err)
		}
		t, err := set.Waybill(s.Carrier, s.Variant, "100x150")
		if err != nil {
			return fmt.Errorf("print test: %w", err)
		}
		l, err := t.Shipment(s, cfg.Labels.Lang, time.Now())
		if err != nil {
			return err
		}
		format := fgprint.Format(p.Dialect())
		job, err := label.Render(l, format, label.Options{DPI: p.DPI, ResidentCJK: p.ResidentCJK})
		if err != nil {
			return err
		}
		st, err := p.Print(ctx, job)
		if err != nil {
			return fmt.Errorf("print test %s: %w", p.ID(), err)
		}
		fmt.Fprintf(stdout, "printed a test waybill on %s (%d bytes); state after: %s\n", p.ID(), len(job), stateText(st))
		return nil
	}
	return fmt.Errorf("print test: no printer %q in the configuration", fs.Arg(0))
}

func stateText(s printer.State) string {
	if f := s.Fault(); f != "" {
		return f
	}
	return "ready"
}
