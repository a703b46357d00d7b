package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/floorgate/floorgate/device/scanner"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
	"github.com/floorgate/floorgate/gateway"
)

// configCheck loads and validates the configuration, as start-up does,
// into the Site every other check reads.
type configCheck struct{}

var _ Check = configCheck{}

func (configCheck) Name() string { return "config" }

func (c configCheck) Run(_ context.Context, s *Site) []Finding {
	cfg, err := gateway.LoadConfig(s.ConfigPath)
	if err != nil {
		return []Finding{failed(c.Name(), s.editFix(), "%v", err)}
	}
	s.Config = cfg
	if s.ConfigPath == "" {
		return []Finding{passed(c.Name(), "no file given: the built-in defaults (a demo gateway)")}
	}
	return []Finding{passed(c.Name(), "%s is valid: site %s, gateway %s, %d printers, %d scanners, %d brokers",
		s.ConfigPath, cfg.Site.ID, cfg.Site.Gateway, len(cfg.Printers), len(cfg.Scanners), len(cfg.MQTT.Brokers))}
}

// profilesCheck loads the device profiles and resolves each configured
// scanner's, as start-up does, without opening anything.
type profilesCheck struct{}

var _ Check = profilesCheck{}

func (profilesCheck) Name() string { return "device profiles" }

func (c profilesCheck) Run(_ context.Context, s *Site) []Finding {
	check := c.Name()
	set, err := profiles.Load(s.Config.ProfilesDir)
	if err != nil {
		return []Finding{failed(check, "correct the profile file named above; floorgate profiles validate DIR checks it", "%v", err)}
	}
	var out []Finding
	var models []string
	for i, sc := range s.Config.Scanners {
		sa, _ := scanner.ParseAddress(sc.Address) // validated with the config
		p, err := gateway.ScannerProfile(set, sc, sa)
		if err != nil {
			out = append(out, failed(check, s.editFix(), "scanners[%d] (%s): %v", i, sc.ID, err))
			continue
		}
		models = append(models, sc.ID+" → "+p.Model)
	}
	where := "shipped"
	if s.Config.ProfilesDir != "" {
		where = "shipped and " + s.Config.ProfilesDir
	}
	what := fmt.Sprintf("%d profiles (%s)", len(set.Models()), where)
	if len(models) > 0 {
		what += "; scanners: " + strings.Join(models, ", ")
	}
	return append([]Finding{passed(check, "%s", what)}, out...)
}

// labelsCheck loads the label templates and the stations' choices of
// them, as start-up does.
type labelsCheck struct{}

var _ Check = labelsCheck{}

func (labelsCheck) Name() string { return "label templates" }

func (c labelsCheck) Run(_ context.Context, s *Site) []Finding {
	wb, err := s.Config.LoadWaybills()
	if err != nil {
		return []Finding{failed(c.Name(), "correct the template or the labels: section named above; floorgate template validate --dir DIR checks a directory", "%v", err)}
	}
	where := "shipped"
	if s.Config.Labels.TemplatesDir != "" {
		where = "shipped and " + s.Config.Labels.TemplatesDir
	}
	return []Finding{passed(c.Name(), "%d templates (%s); waybills on %s stock in %s unless a station says otherwise",
		len(wb.Set.All()), where, s.Config.Labels.Media, s.Config.Labels.Lang)}
}
