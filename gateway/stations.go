package gateway

import (
	"slices"
	"strconv"
	"strings"
)

// StationWithoutPrinter is a pack station whose waybills cannot print: no
// configured printer serves it, while it is configured (Config.Stations),
// a packer is logged in there, or waybills for it are held.
type StationWithoutPrinter struct {
	Station string `json:"station"`
	// Configured is set when the station is in the configuration's
	// stations list.
	Configured bool `json:"configured,omitempty"`
	// Packers is how many packers are logged in at the station now.
	Packers int `json:"packers"`
	// HeldJobs is how many of its labels wait for a printer.
	HeldJobs int `json:"held_jobs"`
	// Reason says what is wrong and what fixes it, for the status page.
	Reason string `json:"reason"`
}

// stationsWithoutPrinter lists, by name, the pack stations in use or
// configured that no printer serves. A site that packs there cannot print
// its waybills until a printer is added for the station (printers[].stations)
// or the PDA chooses another station; the held waybills print then.
func (g *Gateway) stationsWithoutPrinter() []StationWithoutPrinter {
	byName := map[string]*StationWithoutPrinter{}
	var order []string
	at := func(station string) *StationWithoutPrinter {
		s := byName[station]
		if s == nil {
			s = &StationWithoutPrinter{Station: station}
			byName[station] = s
			order = append(order, station)
		}
		return s
	}
	for _, st := range g.Config.Stations {
		if !g.Config.PrinterServes(st) {
			at(st).Configured = true
		}
	}
	for st, n := range g.DB.PackingStations() {
		if !g.Config.PrinterServes(st) {
			at(st).Packers = n
		}
	}
	// The print worker counts them as it looks at the queue anyway: the
	// status is read four times a second, the queue can hold a month of
	// printed labels.
	for st, n := range g.PrintWorker.Unserved() {
		if st != "" && !g.Config.PrinterServes(st) {
			at(st).HeldJobs = n
		}
	}
	slices.Sort(order)
	out := make([]StationWithoutPrinter, 0, len(order))
	for _, name := range order {
		s := byName[name]
		var in []string
		if s.Packers > 0 {
			in = append(in, plural(s.Packers, "packer", "packers")+" logged in there")
		}
		if s.HeldJobs > 0 {
			in = append(in, plural(s.HeldJobs, "label", "labels")+" held")
		}
		s.Reason = "no printer serves station " + name
		if len(in) > 0 {
			s.Reason += " (" + strings.Join(in, ", ") + ")"
		}
		s.Reason += ": add a printer for it (printers[].stations in floorgate.yaml) and restart, or have its packers choose another station on the PDA; held labels print then"
		out = append(out, *s)
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
