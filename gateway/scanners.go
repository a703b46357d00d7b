package gateway

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/serial"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
	"github.com/floorgate/floorgate/internal/serialline"
)

// ScannerConfig is one wired scanner.
type ScannerConfig struct {
	ID string `yaml:"id"`
	// Profile is the scanner's model, as its firmware profile names it.
	// With a USB address it may be left out: the VID:PID finds it.
	Profile string `yaml:"profile"`
	// Address is where the scanner is:
	//   serial:///dev/serial/by-id/…  (the profile's baud unless ?baud=N)
	//   serial-usb://05e0:1900        the USB-serial port with this VID:PID,
	//                                 found again after every replug (?serial=SN
	//                                 tells two alike apart)
	//   hid-pos://05e0:1300, hid-keyboard://05e0:1200  (USB HID, ?serial=SN)
	Address string `yaml:"address"`
	// Station is the station or cart (device id) it scans for: its reads
	// are that station's scans, by whoever is logged in there.
	Station string `yaml:"station"`
	// Login is badge (a badge scanned on the scanner logs in; default) or
	// station (operators log in on the station's screen; the scanner is
	// disabled while nobody is logged in).
	Login string `yaml:"login"`
}

func (c Config) validateScanners(bad func(field, format string, args ...any) error) error {
	ids := map[string]bool{}
	for i, s := range c.Scanners {
		field := fmt.Sprintf("scanners[%d]", i)
		switch {
		case s.ID == "" || ids[s.ID]:
			return bad(field+".id", "missing or used twice")
		case s.Station == "" || len(s.Station) > 64 || strings.ContainsAny(s.Station, " \t/"):
			return bad(field+".station", "%q must be the station's device id (up to 64 bytes of UTF-8, no spaces)", s.Station)
		case s.Login != "" && s.Login != scanner.LoginBadge && s.Login != scanner.LoginStation:
			return bad(field+".login", "%q is not one of badge, station", s.Login)
		}
		if _, err := scanner.ParseAddress(s.Address); err != nil {
			return bad(field+".address", "%v", err)
		}
		ids[s.ID] = true
	}
	return nil
}

// ScannerProfile finds the profile a configured scanner uses and checks it
// fits the address's transport.
func ScannerProfile(profs *profiles.Set, s ScannerConfig, sa scanner.Addr) (*profiles.Profile, error) {
	var p *profiles.Profile
	var ok bool
	if s.Profile != "" {
		if p, ok = profs.Get(s.Profile); !ok {
			return nil, fmt.Errorf("profile: no profile %q (see floorgate profiles validate)", s.Profile)
		}
	} else if sa.VID != "" {
		if p, ok = profs.ByUSB(sa.VID, sa.PID); !ok {
			return nil, fmt.Errorf("profile: no profile has USB id %s:%s; name one", sa.VID, sa.PID)
		}
	} else {
		return nil, fmt.Errorf("profile: missing (a serial:// address does not say which scanner it is)")
	}
	if p.Kind != profiles.KindScanner {
		return nil, fmt.Errorf("profile: %q is a %s, not a scanner", p.Model, p.Kind)
	}
	transport := sa.Scheme
	if transport == "serial-usb" {
		transport = "serial"
	}
	if !p.HasTransport(transport) {
		return nil, fmt.Errorf("address: %s does not speak %s (profile transports: %s)", p.Model, transport, strings.Join(p.Transports, ", "))
	}
	return p, nil
}

// opener returns how to open a configured scanner, afresh on every call.
func (g *Gateway) opener(sa scanner.Addr, p *profiles.Profile, id string) func(context.Context) (scanner.Conn, error) {
	log := g.Log.With("component", "scanner", "scanner", id)
	if sa.Baud > 0 && p.Serial != nil {
		cp := *p
		ser := *p.Serial
		ser.Baud = sa.Baud
		cp.Serial = &ser
		p = &cp
	}
	switch sa.Scheme {
	case "serial":
		return func(context.Context) (scanner.Conn, error) { return serial.OpenScanner(sa.Path, p, log) }
	case "serial-usb":
		return func(context.Context) (scanner.Conn, error) {
			ports, err := serialline.Ports()
			if err != nil {
				return nil, err
			}
			path, err := serialline.Find(ports, sa.VID, sa.PID, sa.Serial)
			if err != nil {
				return nil, err
			}
			return serial.OpenScanner(path, p, log)
		}
	}
	return openUSB(sa, p, log)
}

// scanners runs the configured wired scanners.
type scanners struct {
	devices []*scanner.Device
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// plannedScanner is a configured scanner with its profile.
type plannedScanner struct {
	cfg ScannerConfig
	sa  scanner.Addr
	p   *profiles.Profile
}

// planScanners finds every configured scanner's profile, so a scanner the
// daemon could not drive stops start-up before anything has started.
func (g *Gateway) planScanners(profs *profiles.Set) ([]plannedScanner, error) {
	var plan []plannedScanner
	for i, s := range g.Config.Scanners {
		sa, _ := scanner.ParseAddress(s.Address) // validated with the config
		p, err := ScannerProfile(profs, s, sa)
		if err != nil {
			return nil, fmt.Errorf("config: scanners[%d].%w", i, err)
		}
		plan = append(plan, plannedScanner{s, sa, p})
	}
	return plan, nil
}

// startScanners binds every planned scanner to its station and starts
// supervising it. A scanner that is not plugged in is not an error: it is
// shown as such and picked up when it appears.
func (g *Gateway) startScanners(plan []plannedScanner) error {
	ctx, cancel := context.WithCancel(context.Background())
	g.scanners = &scanners{cancel: cancel}
	for _, x := range plan {
		if err := g.DB.EnsureStation(ctx, x.cfg.Station, x.p.Model); err != nil {
			return err
		}
		dev := scanner.NewDevice(scanner.DeviceOptions{
			Name: x.cfg.ID, Model: x.p.Model, Address: x.cfg.Address,
			Open: g.opener(x.sa, x.p, x.cfg.ID), Clock: g.Clock,
			Logger: g.Log.With("component", "scanner"),
		})
		st, err := scanner.NewStation(g.DB, dev, scanner.StationOptions{ID: x.cfg.Station, Login: x.cfg.Login,
			Clock: g.Clock, Logger: g.Log.With("component", "scanner"), CannotMeasure: x.p.CannotMeasure(),
			OnVerdict: func(v floorgate.Verdict) { g.Metrics.Verdict(v, "scanner", 0) }})
		if err != nil {
			return err
		}
		g.scanners.devices = append(g.scanners.devices, dev)
		g.scanners.wg.Add(2)
		go func() { defer g.scanners.wg.Done(); dev.Run(ctx) }()
		go func() { defer g.scanners.wg.Done(); st.Run(ctx) }()
	}
	return nil
}

func (g *Gateway) stopScanners() {
	if g.scanners == nil {
		return
	}
	g.scanners.cancel()
	g.scanners.wg.Wait()
	g.scanners = nil
}

// ScannerStates is every wired scanner's state.
func (g *Gateway) ScannerStates() []scanner.State {
	out := []scanner.State{}
	if g.scanners == nil {
		return out
	}
	for _, d := range g.scanners.devices {
		out = append(out, d.State())
	}
	return out
}
