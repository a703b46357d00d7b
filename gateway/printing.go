package gateway

import (
	"context"
	"net/url"
	"strconv"
	"time"

	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/print/printer"
)

// OpenPrinters builds the configured printers; the caller closes them.
func OpenPrinters(cfg Config) []*fgprint.Printer {
	var out []*fgprint.Printer
	for _, pc := range cfg.Printers {
		scheme, target, _ := printer.ParseAddress(pc.Address) // validated with the config
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
func (g *Gateway) startPrinting() {
	g.printers = OpenPrinters(g.Config)
	w := fgprint.New(g.DB, g.printers, g.Clock, g.Log.With("component", "print"), fgprint.Options{StatusEvery: 500 * time.Millisecond,
		Layouts: fgprint.Layouts{Templates: g.Waybills.Set, Lang: g.Waybills.Lang, Media: g.Waybills.Media}})
	g.PrintWorker = w
	ctx, cancel := context.WithCancel(context.Background())
	g.stopPrint, g.printed = cancel, make(chan struct{})
	go func() {
		defer close(g.printed)
		w.Run(ctx)
	}()
}

func (g *Gateway) stopPrinting() {
	if g.stopPrint == nil {
		return
	}
	g.stopPrint()
	<-g.printed
	for _, p := range g.printers {
		p.Close()
	}
	g.stopPrint = nil
}
