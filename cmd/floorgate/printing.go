package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/floorgate/floorgate/store"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/printer"
)

// openPrinters builds the configured printers.
func openPrinters(cfg Config) []*fgprint.Printer {
	var out []*fgprint.Printer
	for _, pc := range cfg.Printers {
		scheme, target, _ := parsePrinterAddress(pc.Address) // validated with the config
		var dial func(context.Context) (printer.Conn, error)
		switch scheme {
		case "tcp":
			dial = printer.TCPDialer(target)
		case "serial":
			baud := 9600
			if u, err := url.Parse(pc.Address); err == nil && u.Query().Get("baud") != "" {
				baud, _ = strconv.Atoi(u.Query().Get("baud"))
			}
			dial = func(context.Context) (printer.Conn, error) { return printer.OpenSerial(target, baud) }
		case "usblp":
			dial = func(context.Context) (printer.Conn, error) { return printer.OpenUSBLP(target) }
		}
		p := printer.New(pc.ID, printer.Dialect(pc.Dialect), dial, printer.Options{})
		out = append(out, &fgprint.Printer{Printer: p, DPI: pc.DPI, ResidentCJK: pc.ResidentCJK, Stations: pc.Stations})
	}
	return out
}

// startPrinting runs the print worker over the store's queue.
func (m *Main) startPrinting() {
	m.printers = openPrinters(m.Config)
	w := fgprint.New(m.DB, m.printers, m.Clock, m.Log.With("component", "print"), fgprint.Options{StatusEvery: 500 * time.Millisecond})
	m.PrintWorker = w
	ctx, cancel := context.WithCancel(context.Background())
	m.stopPrint, m.printed = cancel, make(chan struct{})
	go func() {
		defer close(m.printed)
		w.Run(ctx)
	}()
}

func (m *Main) stopPrinting() {
	if m.stopPrint == nil {
		return
	}
	m.stopPrint()
	<-m.printed
	for _, p := range m.printers {
		p.Close()
	}
	m.stopPrint = nil
}

func (m *Main) handlePrinters(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, m.PrintWorker.States())
}

func (m *Main) handlePrintJobs(w http.ResponseWriter, _ *http.Request) {
	jobs, err := m.DB.PrintJobs()
	writeList(w, jobs, err)
}

// handlePreview renders a job's label as PNG, as it will print.
func (m *Main) handlePreview(w http.ResponseWriter, r *http.Request) {
	jobs, err := m.DB.PrintJobs()
	if err != nil {
		writeError(w, err)
		return
	}
	for _, j := range jobs {
		if j.ID != r.PathValue("id") {
			continue
		}
		s, err := m.DB.Shipment(j.Order)
		if err != nil {
			writeError(w, err)
			return
		}
		tmpl := "waybill-" + j.Template
		if j.Kind == "packing_list" {
			tmpl = "packing-list"
		}
		raw, _ := json.Marshal(s)
		l, err := buildLabel(tmpl, raw)
		if err == nil {
			var png []byte
			if png, err = label.Render(l, label.PNG, label.Options{DPI: 203}); err == nil {
				w.Header().Set("Content-Type", "image/png")
				w.Write(png)
				return
			}
		}
		writeError(w, floorgate.Errorf(floorgate.EINVALID, "label: %v", err))
		return
	}
	writeError(w, floorgate.Errorf(floorgate.ENOTFOUND, "no print job %q", r.PathValue("id")))
}

// handleReprint queues an audited reprint: who and why are required.
func (m *Main) handleReprint(w http.ResponseWriter, r *http.Request) {
	var body struct{ Operator, Reason string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil {
		writeError(w, floorgate.Errorf(floorgate.EINVALID, `body must be {"operator": "…", "reason": "…"}`))
		return
	}
	ctx := r.Context()
	if a, ok := store.AuditFrom(ctx); ok {
		if body.Operator == "" {
			body.Operator = a.Actor // the admin signed in on the status page
		}
		a.Detail = body.Reason
		ctx = store.Audited(ctx, a)
	}
	j, err := m.DB.Reprint(ctx, r.PathValue("id"), body.Operator, body.Reason)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// labelCommand renders a template from a JSON data file.
func labelCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "render" {
		return errors.New("label: want: label render --template NAME --data FILE --format zpl|tspl|escpos|png")
	}
	fs := flag.NewFlagSet("label render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tmpl := fs.String("template", "waybill-100x180", "waybill-100x180, waybill-100x150, waybill-76x130, packing-list, location, item")
	data := fs.String("data", "", "JSON file: a shipment (waybills, packing list), a location (with x_mm), or an item (with gs1)")
	format := fs.String("format", "zpl", "zpl, tspl, escpos or png")
	dpi := fs.Int("dpi", 203, "printer resolution: 203 or 300")
	out := fs.String("out", "-", "output file (- for standard output)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	raw, err := os.ReadFile(*data)
	if err != nil {
		return fmt.Errorf("label render: %w", err)
	}
	l, err := buildLabel(*tmpl, raw)
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

// buildLabel fills a template from JSON.
func buildLabel(tmpl string, raw []byte) (label.Label, error) {
	switch tmpl {
	case "waybill-100x180", "waybill-100x150", "waybill-76x130", "packing-list":
		var s floorgate.Shipment
		if err := json.Unmarshal(raw, &s); err != nil {
			return label.Label{}, fmt.Errorf("not a shipment: %w", err)
		}
		if tmpl == "packing-list" {
			return label.PackingList(s)
		}
		return label.Waybill(s, tmpl[len("waybill-"):])
	case "location":
		var d struct {
			floorgate.Location
			XMM float64 `json:"x_mm"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return label.Label{}, fmt.Errorf("not a location: %w", err)
		}
		return label.LocationLabel(d.Location, d.XMM)
	case "item":
		var d struct {
			floorgate.Item
			GS1 string `json:"gs1"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return label.Label{}, fmt.Errorf("not an item: %w", err)
		}
		return label.ItemLabel(d.Item, d.GS1)
	}
	return label.Label{}, fmt.Errorf("template %q is not one of waybill-100x180, waybill-100x150, waybill-76x130, packing-list, location, item", tmpl)
}

// printTestCommand prints a test waybill on a configured printer and
// reports its state before and after.
func printTestCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "test" {
		return errors.New("print: want: print test [--config FILE] PRINTER")
	}
	fs := flag.NewFlagSet("print test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "configuration file naming the printers")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("print test: want one PRINTER id")
	}
	cfg, err := LoadConfig(*configPath)
	if err != nil {
		return err
	}
	for _, p := range openPrinters(cfg) {
		if p.ID() != fs.Arg(0) {
			continue
		}
		defer p.Close()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s := NewDemo().Shipments()[0]
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
