package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/template"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
	"go.yaml.in/yaml/v3"
)

// Config is floorgate's configuration file (YAML). Every field has a
// default, so an empty file, or none, is a working demo gateway.
type Config struct {
	Site struct {
		ID      string `yaml:"id"`
		Name    string `yaml:"name"`
		Gateway string `yaml:"gateway"`
	} `yaml:"site"`
	// Listen is the address of the PDA WebSocket endpoint and web pages.
	Listen string `yaml:"listen"`
	// TLS secures the listener: a configured certificate, or one made and
	// kept in the state directory on first start.
	TLS struct {
		// Mode is "self-signed" (default: a certificate generated on first
		// start, whose fingerprint the status page and pairing QR show),
		// "files" (cert_file and key_file) or "off" (plain HTTP: only on a
		// trusted, isolated network).
		Mode     string `yaml:"mode"`
		CertFile string `yaml:"cert_file"`
		KeyFile  string `yaml:"key_file"`
	} `yaml:"tls"`
	// StateDir holds the database.
	StateDir string `yaml:"state_dir"`
	// LocalSocket is the local administration socket (mode 0660): the
	// command line's way in. Empty: floorgate.sock in the state directory.
	LocalSocket string `yaml:"local_socket"`
	Store       struct {
		// MaxSizeMB caps the database file; a full cap is an error the
		// gateway reports, never a crash.
		MaxSizeMB int `yaml:"max_size_mb"`
		// RetentionDays is how long events already acknowledged upstream
		// are kept in the journal; older ones are pruned.
		RetentionDays int `yaml:"retention_days"`
		// MaxTaskLines caps the lines of one task (ERP task.create and
		// task.update, tasks import): a longer task is refused whole.
		MaxTaskLines int `yaml:"max_task_lines"`
	} `yaml:"store"`
	Devices struct {
		// AutoEnrol lets an unknown PDA enrol itself on first contact.
		AutoEnrol bool `yaml:"auto_enrol"`
		// MaxMessagesPerS is how many messages a second one PDA may send
		// on average (bursts of twice that); a flooding device is cut off.
		MaxMessagesPerS int `yaml:"max_messages_per_s"`
		// MaxConnectionsPerAddress bounds the open connections (PDAs,
		// browsers) from one network address.
		MaxConnectionsPerAddress int `yaml:"max_connections_per_address"`
		// SessionGrace is how long a device with someone logged in may be
		// disconnected before their session ends and their task goes back
		// to the queue with its progress ("0s": never).
		SessionGrace string `yaml:"session_grace"`
	} `yaml:"devices"`
	Standards struct {
		Distance struct {
			MinMM float64 `yaml:"min_mm"`
			MaxMM float64 `yaml:"max_mm"`
			Mode  string  `yaml:"mode"`
		} `yaml:"distance"`
		DuplicateWindow string `yaml:"duplicate_window"`
		// LocationPattern, when set, is a regular expression every location
		// barcode must match unless it is a GS1 GLN label.
		LocationPattern string `yaml:"location_pattern"`
	} `yaml:"standards"`
	// Picking holds the site's rules for tasks the ERP sends without a
	// mode: small orders to carts, waves of one-unit orders to the
	// single-item lane.
	Picking struct {
		// ClusterUpToUnits, above 0: an order of at most this many units
		// is picked on a cart.
		ClusterUpToUnits int `yaml:"cluster_up_to_units"`
		// SingleUnitWaves: a declared wave whose every order is one unit
		// is batch-picked and packed in the single-item lane.
		SingleUnitWaves bool `yaml:"single_unit_waves"`
	} `yaml:"picking"`
	MQTT struct {
		// Brokers are the ERP's MQTT brokers (fgsync.BrokerSchemes: tcp://,
		// ssl://, ws://, wss:// and their aliases).
		// With none, an embedded broker serves EmbeddedListen.
		Brokers        []string `yaml:"brokers"`
		EmbeddedListen string   `yaml:"embedded_listen"`
		// Embedded configures the embedded broker's doors: who may use it
		// besides the gateway itself (which gets its own user at each
		// start), and how.
		Embedded  EmbeddedBroker `yaml:"embedded"`
		Username  string         `yaml:"username"`
		Password  string         `yaml:"password"`
		CAFile    string         `yaml:"ca_file"`
		CertFile  string         `yaml:"cert_file"`
		KeyFile   string         `yaml:"key_file"`
		Keepalive string         `yaml:"keepalive"`
		// Window is how many messages may wait for their PUBACK at once.
		Window int `yaml:"window"`
		// MaxMessageBytes must not exceed the broker's limit: larger events
		// go to the dead-letter list.
		MaxMessageBytes int `yaml:"max_message_bytes"`
		// BatchEvents, above 1, lets one message carry that many waiting
		// events as a JSON array (contract §5); 0 sends one per message.
		BatchEvents int `yaml:"batch_events"`
	} `yaml:"mqtt"`
	// ProfilesDir is a site directory of device profiles (YAML) that add
	// to or override the shipped ones.
	ProfilesDir string `yaml:"profiles_dir"`
	// Stations are the site's pack stations by name (pack-1, 打包台3 …):
	// a packer's PDA chooses one of them (or of the stations printers
	// serve), and its waybills print on that station's printers whatever
	// the device's id. A station here that no printer serves shows on the
	// status page as a fault.
	Stations []string `yaml:"stations"`
	// Printers are the site's label printers.
	Printers []PrinterConfig `yaml:"printers"`
	// Scanners are the wired (serial and USB) scanners at stations and
	// carts.
	Scanners []ScannerConfig `yaml:"scanners"`
	// Labels are the label templates and each station's waybill stock,
	// language and carrier templates.
	Labels LabelsConfig `yaml:"labels"`
	// Reports say when the day's report is written.
	Reports struct {
		// DailyAt is the local time (HH:MM) the day's report is written
		// into state_dir/reports and sent upstream as report.daily; ""
		// writes none.
		DailyAt string `yaml:"daily_at"`
	} `yaml:"reports"`
	Log struct {
		Level  string `yaml:"level"`
		Format string `yaml:"format"`
	} `yaml:"log"`
}

// EmbeddedBroker is who may use the embedded MQTT broker, and how.
type EmbeddedBroker struct {
	// Users may connect with a user name and password. Their role says
	// what they may do, always on this site's topics only.
	Users []BrokerUser `yaml:"users"`
	// AllowAnonymous lets clients without a user name read this site's
	// events and status (mosquitto_sub while setting up). Only with a
	// loopback embedded_listen; start-up and doctor warn about it.
	AllowAnonymous bool `yaml:"allow_anonymous"`
	// TLS serves the broker over TLS with the gateway's certificate
	// (tls.mode must not be off): required when embedded_listen is not a
	// loopback address.
	TLS bool `yaml:"tls"`
	// Leaf joins the embedded broker to the company's central NATS
	// cluster as a leaf node: the multi-site layout (docs/mqtt-contract.md
	// §15). Without urls the broker joins nothing.
	Leaf LeafConfig `yaml:"leaf"`
}

// LeafConfig is the embedded broker's link to a central NATS cluster.
type LeafConfig struct {
	// URLs are the cluster's leaf-node listeners: tls://hub-1:7422, …
	// (nats-leaf:// only for a cluster on this machine).
	URLs []string `yaml:"urls"`
	// Username and Password are this site's user on the cluster.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// CAFile verifies the cluster; CertFile and KeyFile are this
	// gateway's certificate when the cluster wants mutual TLS.
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Domain is this broker's JetStream domain, unique among the
	// cluster's leaves ("{site}-{gateway}" by default, with characters
	// other than letters, digits, - and _ as _); HubDomain the cluster's
	// (hub); Stream the central events stream (FLOORGATE_EVENTS).
	Domain    string `yaml:"domain"`
	HubDomain string `yaml:"hub_domain"`
	Stream    string `yaml:"stream"`
	// Keep is how long the site's broker keeps what it stored: the
	// longest WAN outage the site rides out without a resend (168h).
	Keep string `yaml:"keep"`
}

// Enabled reports whether a leaf link is configured.
func (l LeafConfig) Enabled() bool { return len(l.URLs) > 0 }

// BrokerUser is one user of the embedded broker.
type BrokerUser struct {
	Name string `yaml:"name"`
	// Password is a bcrypt hash ($2a$…, e.g. htpasswd -nbBC 11 NAME PASS)
	// or plain text; plain text needs a configuration file only its
	// owner and group may read.
	Password string `yaml:"password"`
	// Role is erp (send this site's commands, read its events and
	// status) or reader (read its events and status).
	Role string `yaml:"role"`
}

// PrinterConfig is one label printer.
type PrinterConfig struct {
	ID string `yaml:"id"`
	// Dialect is the printer's language: zpl, tspl, escpos or epl2.
	Dialect string `yaml:"dialect"`
	// Address is tcp://host:9100, serial:///dev/ttyUSB0 (baud 9600 unless
	// ?baud=N), or usblp:///dev/usb/lp0.
	Address     string `yaml:"address"`
	DPI         int    `yaml:"dpi"`
	ResidentCJK bool   `yaml:"resident_cjk"`
	// Stations are the pack stations it prints for, by name (see
	// Config.Stations; a device that never chose a station is named by
	// its device id); a station's printers are tried in the order listed
	// here.
	Stations []string `yaml:"stations"`
}

// PackStations are the names a PDA may choose as its pack station: the
// configured stations, then those printers serve, each once.
func (c Config) PackStations() []string {
	out := []string{}
	for _, s := range c.Stations {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, p := range c.Printers {
		for _, s := range p.Stations {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// PrinterServes reports whether a configured printer serves the station.
func (c Config) PrinterServes(station string) bool {
	for _, p := range c.Printers {
		if slices.Contains(p.Stations, station) {
			return true
		}
	}
	return false
}

// DefaultConfig is the configuration used when no file is given.
func DefaultConfig() Config {
	var c Config
	c.Site.ID, c.Site.Name, c.Site.Gateway = "demo", "Demo warehouse", "gw-1"
	c.Listen = ":8080"
	c.StateDir = "/var/lib/floorgate"
	c.Store.MaxSizeMB = 4096
	c.Store.RetentionDays = 30
	c.Store.MaxTaskLines = store.DefaultMaxTaskLines
	c.Devices.MaxMessagesPerS = 20
	c.Devices.MaxConnectionsPerAddress = 256
	c.Devices.SessionGrace = "2m0s"
	c.TLS.Mode = "self-signed"
	p := floorgate.DefaultPolicy()
	c.Standards.Distance.MinMM = p.Distance.MinMM
	c.Standards.Distance.MaxMM = p.Distance.MaxMM
	c.Standards.Distance.Mode = string(p.Distance.Mode)
	c.Standards.DuplicateWindow = p.DuplicateWindow.String()
	c.Log.Level, c.Log.Format = "info", "text"
	c.MQTT.Brokers = []string{}
	c.Stations = []string{}
	c.Printers = []PrinterConfig{}
	c.Scanners = []ScannerConfig{}
	c.Labels.Media, c.Labels.Lang = "100x180", "zh"
	c.Labels.Stations = map[string]StationLabels{}
	c.Reports.DailyAt = "23:55"
	c.MQTT.EmbeddedListen = "127.0.0.1:1883"
	c.MQTT.Embedded.Users = []BrokerUser{}
	c.MQTT.Embedded.Leaf = LeafConfig{URLs: []string{}, HubDomain: "hub", Stream: "FLOORGATE_EVENTS", Keep: "168h"}
	c.MQTT.Keepalive = "30s"
	c.MQTT.Window = 256
	c.MQTT.MaxMessageBytes = 256 << 10
	return c
}

// LoadConfig reads path over the defaults. Unknown fields, wrong types and
// out-of-range values stop start-up with the file, line and field named.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if path == "" {
		return c, c.validate("(defaults)")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if c.MQTT.Password != "" || c.hasPlainBrokerPassword() || c.MQTT.Embedded.Leaf.Password != "" {
		// The file holds a secret: like a key file, it must not be
		// readable by every user on the box.
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o004 != 0 {
			return c, fmt.Errorf("config %s: mqtt passwords: the file is readable by every user (mode %04o): run chmod 640 %s", path, fi.Mode().Perm(), path)
		}
	}
	return c, c.validate(path)
}

// Policy is the site standard the configuration asks for.
func (c Config) Policy() (floorgate.Policy, error) {
	p := floorgate.Policy{Distance: floorgate.DistancePolicy{
		MinMM: c.Standards.Distance.MinMM, MaxMM: c.Standards.Distance.MaxMM,
		Mode: floorgate.DistanceMode(c.Standards.Distance.Mode)}}
	d, err := time.ParseDuration(c.Standards.DuplicateWindow)
	if err != nil {
		return p, fmt.Errorf("standards.duplicate_window: %q is not a duration like 300ms", c.Standards.DuplicateWindow)
	}
	p.DuplicateWindow = d
	p.LocationPattern = c.Standards.LocationPattern
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("standards.%w", err)
	}
	return p, nil
}

// Site is the site identity and standard.
func (c Config) SiteInfo() (floorgate.Site, error) {
	p, err := c.Policy()
	return floorgate.Site{ID: c.Site.ID, Name: c.Site.Name, Gateway: c.Site.Gateway, Policy: p}, err
}

func (c Config) validate(file string) error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("config %s: %s: %s", file, field, fmt.Sprintf(format, args...))
	}
	for field, v := range map[string]string{"site.id": c.Site.ID, "site.gateway": c.Site.Gateway} {
		if v == "" {
			return bad(field, "missing")
		}
		if strings.ContainsAny(v, "/+#$ \t") || len(v) > 64 {
			return bad(field, "%q must be up to 64 characters without spaces or / + # $", v)
		}
	}
	if c.Listen == "" {
		return bad("listen", "missing")
	}
	if c.StateDir == "" {
		return bad("state_dir", "missing")
	}
	if c.Store.MaxSizeMB < 16 {
		return bad("store.max_size_mb", "%d is below the minimum of 16", c.Store.MaxSizeMB)
	}
	if c.Devices.MaxMessagesPerS < 1 {
		return bad("devices.max_messages_per_s", "%d is below 1", c.Devices.MaxMessagesPerS)
	}
	if d, err := time.ParseDuration(c.Devices.SessionGrace); err != nil || d < 0 {
		return bad("devices.session_grace", "%q is not a duration like 2m (0s: never)", c.Devices.SessionGrace)
	}
	if c.Devices.MaxConnectionsPerAddress < 1 {
		return bad("devices.max_connections_per_address", "%d is below 1", c.Devices.MaxConnectionsPerAddress)
	}
	if c.Picking.ClusterUpToUnits < 0 || c.Picking.ClusterUpToUnits > 100_000 {
		return bad("picking.cluster_up_to_units", "%d is not between 0 (never) and 100000", c.Picking.ClusterUpToUnits)
	}
	if c.Store.MaxTaskLines < 1 || c.Store.MaxTaskLines > 100_000 {
		return bad("store.max_task_lines", "%d is not between 1 and 100000", c.Store.MaxTaskLines)
	}
	if c.Store.RetentionDays < 1 || c.Store.RetentionDays > 3650 {
		return bad("store.retention_days", "%d is not between 1 and 3650", c.Store.RetentionDays)
	}
	switch c.TLS.Mode {
	case "self-signed", "off":
	case "files":
		if c.TLS.CertFile == "" || c.TLS.KeyFile == "" {
			return bad("tls", "mode files needs cert_file and key_file")
		}
	default:
		return bad("tls.mode", "%q is not one of self-signed, files, off", c.TLS.Mode)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return bad("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return bad("log.format", "%q is not one of text, json", c.Log.Format)
	}
	if _, err := c.Policy(); err != nil {
		return fmt.Errorf("config %s: %w", file, err)
	}
	if _, err := c.SyncConfig(); err != nil {
		return fmt.Errorf("config %s: mqtt.%w", file, err)
	}
	if len(c.MQTT.Brokers) == 0 && c.MQTT.EmbeddedListen == "" {
		return bad("mqtt.embedded_listen", "missing while no brokers are configured")
	}
	if err := c.validateEmbedded(bad); err != nil {
		return err
	}
	for i, st := range c.Stations {
		switch {
		case !validStation(st):
			return bad(fmt.Sprintf("stations[%d]", i), "%q must be a station name (up to 64 bytes of UTF-8, no spaces or slashes)", st)
		case slices.Contains(c.Stations[:i], st):
			return bad(fmt.Sprintf("stations[%d]", i), "%q is listed twice", st)
		}
	}
	ids := map[string]bool{}
	for i, p := range c.Printers {
		field := fmt.Sprintf("printers[%d]", i)
		switch {
		case p.ID == "" || ids[p.ID]:
			return bad(field+".id", "missing or used twice")
		case !printer.Dialect(p.Dialect).Valid():
			return bad(field+".dialect", "%q is not one of zpl, tspl, escpos, epl2", p.Dialect)
		case p.DPI != 203 && p.DPI != 300:
			return bad(field+".dpi", "%d is not 203 or 300", p.DPI)
		case len(p.Stations) == 0:
			return bad(field+".stations", "name the pack stations it prints for")
		}
		if _, _, err := printer.ParseAddress(p.Address); err != nil {
			return bad(field+".address", "%v", err)
		}
		ids[p.ID] = true
	}
	if err := c.validateLabels(bad); err != nil {
		return err
	}
	if _, err := dailyAt(c.Reports.DailyAt); err != nil {
		return bad("reports.daily_at", "%v", err)
	}
	return c.validateScanners(bad)
}

// validateLabels checks the labels section's own values; the templates it
// names are checked when they are loaded.
func (c Config) validateLabels(bad func(field, format string, args ...any) error) error {
	media := func(field, m string) error {
		if _, _, ok := floorgate.MediaMM(m); !ok {
			return bad(field, "%q is not a label stock like 100x180 (millimetres)", m)
		}
		return nil
	}
	lang := func(field, l string) error {
		if !slices.Contains(template.Languages, l) {
			return bad(field, "%q is not one of %s", l, strings.Join(template.Languages, ", "))
		}
		return nil
	}
	if err := media("labels.media", c.Labels.Media); err != nil {
		return err
	}
	if err := lang("labels.lang", c.Labels.Lang); err != nil {
		return err
	}
	known := c.PackStations()
	for name, st := range c.Labels.Stations {
		field := "labels.stations." + name
		if !slices.Contains(known, name) {
			return bad(field, "%q is not a pack station (stations, or printers[].stations)", name)
		}
		if st.Media != "" {
			if err := media(field+".media", st.Media); err != nil {
				return err
			}
		}
		if st.Lang != "" {
			if err := lang(field+".lang", st.Lang); err != nil {
				return err
			}
		}
	}
	return nil
}

// validStation reports whether s can name a pack station: what a device id
// may be, without spaces or slashes, so it reads the same in a URL, a log
// and the status page.
func validStation(s string) bool {
	return s != "" && len(s) <= 64 && !strings.ContainsAny(s, " \t/") && strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) < 0
}

// SyncConfig is the upstream link the configuration asks for; with no
// brokers, the embedded broker's URL is filled in at start.
func (c Config) SyncConfig() (fgsync.Config, error) {
	ka, err := time.ParseDuration(c.MQTT.Keepalive)
	if err != nil || ka < time.Second {
		return fgsync.Config{}, fmt.Errorf("keepalive: %q is not a duration of at least 1s", c.MQTT.Keepalive)
	}
	sc := fgsync.Config{Brokers: c.MQTT.Brokers, Username: c.MQTT.Username, Password: c.MQTT.Password,
		CAFile: c.MQTT.CAFile, CertFile: c.MQTT.CertFile, KeyFile: c.MQTT.KeyFile, Keepalive: ka,
		Window: c.MQTT.Window, MaxMessageBytes: c.MQTT.MaxMessageBytes, BatchEvents: c.MQTT.BatchEvents,
		Site: c.Site.ID, Gateway: c.Site.Gateway, Version: floorgate.Version}
	if c.MQTT.Window < 1 || c.MQTT.Window > 65000 {
		return sc, fmt.Errorf("window: %d is not between 1 and 65000", c.MQTT.Window)
	}
	if c.MQTT.MaxMessageBytes < 1024 {
		return sc, fmt.Errorf("max_message_bytes: %d is below 1024", c.MQTT.MaxMessageBytes)
	}
	if c.MQTT.BatchEvents < 0 || c.MQTT.BatchEvents > fgsync.MaxBatchEvents {
		return sc, fmt.Errorf("batch_events: %d is not between 0 and %d", c.MQTT.BatchEvents, fgsync.MaxBatchEvents)
	}
	if len(sc.Brokers) > 0 {
		if err := sc.Validate(); err != nil {
			return sc, err
		}
	}
	return sc, nil
}
