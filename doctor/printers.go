package doctor

import (
	"context"
	"time"

	"github.com/floorgate/floorgate/gateway"
	fgprint "github.com/floorgate/floorgate/print"
)

// printersCheck asks every configured printer for its status, through the
// same printer code the daemon prints with, all at once (a printerCheck
// each). A configured pack station no printer serves WARNs: a parcel
// packed there gets no waybill.
type printersCheck struct{}

var _ Check = printersCheck{}

func (printersCheck) Name() string { return "printers" }

func (c printersCheck) Run(ctx context.Context, s *Site) []Finding {
	var out []Finding
	for _, st := range s.Config.Stations {
		if !s.Config.PrinterServes(st) {
			out = append(out, warned("station "+st, "add "+st+" to a printer's stations in "+s.configName()+", or remove it from stations",
				"no printer serves pack station %s: its waybills would be held, not printed", st))
		}
	}
	if len(s.Config.Printers) == 0 {
		return append(out, passed(c.Name(), "none configured"))
	}
	ps := gateway.OpenPrinters(s.Config)
	checks := make([]Check, len(ps))
	for i, p := range ps {
		checks[i] = printerCheck{config: s.Config.Printers[i], printer: p}
	}
	return append(out, runAtOnce(ctx, s, checks...)...)
}

// printerCheck asks one printer for its status, and closes it. An
// unreachable printer FAILs; one that answers with a fault (paper out,
// head open, …) WARNs: the installation is right and the daemon holds its
// jobs until a person fixes the printer.
type printerCheck struct {
	config  gateway.PrinterConfig
	printer *fgprint.Printer
}

var _ Check = printerCheck{}

func (c printerCheck) Name() string { return "printer " + c.config.ID }

func (c printerCheck) Run(ctx context.Context, s *Site) []Finding {
	defer c.printer.Close()
	ctx, cancel := context.WithTimeout(ctx, netTimeout+500*time.Millisecond)
	defer cancel()
	st, err := c.printer.Status(ctx)
	return []Finding{c.judge(s, st.Fault(), st.Online, err)}
}

// judge judges the printer's status reply.
func (c printerCheck) judge(s *Site, fault string, online bool, err error) Finding {
	pc := c.config
	fix := "check the printer is on and connected, and its address in " + s.configName()
	if s.DaemonRunning {
		fix += "; the running daemon may hold its only connection (see the status page)"
	}
	switch {
	case err != nil:
		return failed(c.Name(), fix, "%s unreachable: %v", pc.Address, err)
	case !online:
		return failed(c.Name(), fix, "%s did not answer a %s status query", pc.Address, pc.Dialect)
	case fault != "":
		return warned(c.Name(), "fix the printer ("+fault+"); jobs wait until it is ready", "%s answers: %s", pc.Address, fault)
	}
	return passed(c.Name(), "%s answers: ready (%s)", pc.Address, pc.Dialect)
}
