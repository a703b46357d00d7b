package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/printer"
)

// labelCommand renders a template from a JSON data file.
func labelCommand(args []string, stdout, stderr io.Writer) error {
	_, args, err := subcommand("label", args, map[string]string{
		"render": "render a template from a JSON data file to ZPL, TSPL, ESC/POS or PNG",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	fs := newFlags("label render", "--data FILE", "Render a label template from a JSON data file.", stdout, stderr)
	tmpl := fs.String("template", "waybill-100x180", "waybill-100x180, waybill-100x150, waybill-76x130, packing-list, location, item")
	data := fs.String("data", "", "JSON file: a shipment (waybills, packing list), a location (with x_mm), or an item (with gs1)")
	format := fs.String("format", "zpl", "zpl, tspl, escpos or png")
	dpi := fs.Int("dpi", 203, "printer resolution: 203 or 300")
	out := fs.String("out", "-", "output file (- for standard output)")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	raw, err := os.ReadFile(*data)
	if err != nil {
		return fmt.Errorf("label render: %w", err)
	}
	l, err := label.FromJSON(*tmpl, raw)
	if err != nil {
		return fmt.Errorf("label render %s: %w", *data, err)
	}
	b, err := label.Render(l, label.Format(*format), label.Options{DPI: *dpi})
	if err != nil {
		return fmt.Errorf("label render: %w", err)
	}
	if *out == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}

// printTestCommand prints a test waybill on a configured printer and
// reports its state before and after.
func printTestCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, args, err := subcommand("print", args, map[string]string{
		"test": "print a test waybill on a configured printer and report its state",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	fs := newFlags("print test", "PRINTER", "Print a test waybill on the configured printer PRINTER and report its state before and after.", stdout, stderr)
	configPath := fs.configFlag()
	if err := fs.parse(args, 1); err != nil {
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
		l, err := label.Waybill(s, "100x150")
		if err != nil {
			return err
		}
		format := map[printer.Dialect]label.Format{printer.ZPL: label.ZPL, printer.TSPL: label.TSPL, printer.ESCPOS: label.ESCPOS}[p.Dialect()]
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
