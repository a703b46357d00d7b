// Package doctor checks a floorgate installation from outside the daemon:
// the configuration, state directory and free space, key and certificate
// files, device access, printers, brokers (TLS and an MQTT CONNECT), a
// NATS backbone (every cluster node in mqtt.brokers, or the cluster's leaf
// listeners and the running gateway's leaf link; with Doctor.Backbone the
// cluster's JetStream side, through sync.CheckBackbone), the clock, the
// listener and the local socket. Each finding says what is wrong and how
// to fix it.
//
// It only looks: it never writes the database, creates files or sends a
// print job, and it reaches a running gateway only through its local
// socket (package client).
package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/usb"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/store"
	fgsync "github.com/floorgate/floorgate/sync"
)

// Thresholds of the doctor's checks.
const (
	// clockFloor is a date the system clock must be past: a box that lost
	// its clock boots in 1970 or at its image's build date, and then
	// certificates fail and event times lie.
	doctorClockFloor = "2026-01-01"
	// certWarnWithin is how soon a certificate's expiry is worth a warning.
	certWarnWithin = 14 * 24 * time.Hour
	// minFreeMargin is the free space the database needs beyond its size
	// now: bbolt grows its file in steps, and a full disk stops every scan.
	minFreeMargin = 256 << 20
	// doctorNetTimeout bounds one connection attempt (printer, broker, listener).
	doctorNetTimeout = 2 * time.Second
	// doctorDeadline bounds all checks that talk to something else, so
	// the doctor never hangs on a wedged device or network.
	doctorDeadline = 8 * time.Second
)

// severity is how bad a check's finding is.
type severity int

const (
	sevOK severity = iota
	sevWarn
	sevFail
	sevSkip
)

// finding is one line of the doctor's report.
type finding struct {
	sev   severity
	check string
	what  string // what was found, or the problem
	fix   string // how to fix it; only for WARN and FAIL
}

func (f finding) String() string {
	switch f.sev {
	case sevWarn, sevFail:
		tag := map[severity]string{sevWarn: "WARN", sevFail: "FAIL"}[f.sev]
		return fmt.Sprintf("%s %s: %s — fix: %s", tag, f.check, f.what, f.fix)
	case sevSkip:
		return fmt.Sprintf("skip %s: %s", f.check, f.what)
	}
	return fmt.Sprintf("ok   %s: %s", f.check, f.what)
}

func doctorOK(check, format string, args ...any) finding {
	return finding{sev: sevOK, check: check, what: fmt.Sprintf(format, args...)}
}

func doctorWarn(check, fix, format string, args ...any) finding {
	return finding{sev: sevWarn, check: check, what: fmt.Sprintf(format, args...), fix: fix}
}

func doctorFail(check, fix, format string, args ...any) finding {
	return finding{sev: sevFail, check: check, what: fmt.Sprintf(format, args...), fix: fix}
}

// Doctor checks an installation: configuration, state directory,
// credentials, devices, printers, brokers, clock and listener. It only
// looks: it never writes the database, creates files or sends a job.
type Doctor struct {
	// ConfigPath is the configuration file; empty is the defaults.
	ConfigPath string
	// Now reads the clock; time.Now when nil.
	Now func() time.Time
	// NTPSynchronized answers "yes" or "no" as timedatectl does; it
	// runs timedatectl when nil.
	NTPSynchronized func(ctx context.Context) (string, error)

	// Backbone, when set, is the NATS backbone cluster's client URLs
	// (nats://…, comma-separated) and BackboneUser and BackbonePassword
	// an account user that may read its JetStream state (the one
	// `floorgate backbone init` ran as): the doctor then checks the
	// cluster's side of the backbone too (docs/mqtt-contract.md §15).
	Backbone                       string
	BackboneUser, BackbonePassword string

	cfg gateway.Config
	// daemonRunning is set when a process holds the database's lock.
	daemonRunning bool
}

// Run prints one line per check. The summary is printed when nothing
// failed and is the returned error's text otherwise, so the command exits
// non-zero exactly when a check failed.
func (d *Doctor) Run(ctx context.Context, out io.Writer) error {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NTPSynchronized == nil {
		d.NTPSynchronized = timedatectlNTP
	}
	var all []finding
	emit := func(fs ...finding) {
		for _, f := range fs {
			fmt.Fprintln(out, f)
		}
		all = append(all, fs...)
	}
	cfgOK := d.checkConfig()
	emit(cfgOK)
	if cfgOK.sev == sevFail {
		skipped := []string{"device profiles", "state directory", "credentials", "devices", "printers", "brokers", "listener", "local socket"}
		if d.Backbone != "" {
			skipped = append(skipped, "backbone")
		}
		for _, name := range skipped {
			emit(finding{sev: sevSkip, check: name, what: "not checked: the configuration did not load"})
		}
		emit(d.checkClock(ctx)...)
		return summarise(all, out)
	}
	emit(d.checkProfiles()...)
	emit(d.checkLabels())
	emit(d.checkStateDir()...)
	emit(d.checkCredentials()...)
	ctx, cancel := context.WithTimeout(ctx, doctorDeadline)
	defer cancel()
	emit(runChecks(ctx,
		namedCheck{"devices", d.checkDevices},
		namedCheck{"printers", d.checkPrinters},
		namedCheck{"brokers", d.checkBrokers},
		namedCheck{"backbone", d.checkBackbone},
		namedCheck{"clock", d.checkClock},
		namedCheck{"listener", d.checkListener},
		namedCheck{"local socket", d.checkLocalSocket})...)
	return summarise(all, out)
}

// summarise counts the findings: printed when all passed, the error when
// any failed.
func summarise(all []finding, out io.Writer) error {
	n := map[severity]int{}
	for _, f := range all {
		n[f.sev]++
	}
	s := fmt.Sprintf("doctor: %d ok, %d warnings, %d failed", n[sevOK], n[sevWarn], n[sevFail])
	if n[sevSkip] > 0 {
		s += fmt.Sprintf(", %d skipped", n[sevSkip])
	}
	if n[sevFail] > 0 {
		return errors.New(s)
	}
	fmt.Fprintln(out, s)
	return nil
}

// namedCheck is a check that may talk to something else.
type namedCheck struct {
	name string
	run  func(context.Context) []finding
}

// runChecks runs checks at once and returns their findings in order. A
// check still running when ctx ends is reported as failed: the doctor
// answers in bounded time even if a driver call wedges.
func runChecks(ctx context.Context, checks ...namedCheck) []finding {
	chans := make([]chan []finding, len(checks))
	for i, c := range checks {
		chans[i] = make(chan []finding, 1)
		go func() { chans[i] <- c.run(ctx) }()
	}
	var out []finding
	for i, ch := range chans {
		select {
		case fs := <-ch:
			out = append(out, fs...)
		case <-ctx.Done():
			// Each check bounds its own calls; give it a moment to say so.
			select {
			case fs := <-ch:
				out = append(out, fs...)
			case <-time.After(500 * time.Millisecond):
				out = append(out, doctorFail(checks[i].name, "run floorgate doctor again; if this recurs, a device driver or the network is wedged",
					"did not finish within %v", doctorDeadline))
			}
		}
	}
	return out
}

// editFix is the fix for anything wrong in the configuration file.
func (d *Doctor) editFix() string {
	if d.ConfigPath == "" {
		return "pass --config FILE with the site's configuration"
	}
	return "edit " + d.ConfigPath
}

// checkConfig loads and validates the configuration.
func (d *Doctor) checkConfig() finding {
	cfg, err := gateway.LoadConfig(d.ConfigPath)
	if err != nil {
		return doctorFail("config", d.editFix(), "%v", err)
	}
	d.cfg = cfg
	if d.ConfigPath == "" {
		return doctorOK("config", "no file given: the built-in defaults (a demo gateway)")
	}
	return doctorOK("config", "%s is valid: site %s, gateway %s, %d printers, %d scanners, %d brokers",
		d.ConfigPath, cfg.Site.ID, cfg.Site.Gateway, len(cfg.Printers), len(cfg.Scanners), len(cfg.MQTT.Brokers))
}

// checkProfiles loads the device profiles and resolves each configured
// scanner's, as start-up does, without opening anything.
func (d *Doctor) checkProfiles() []finding {
	const check = "device profiles"
	set, err := profiles.Load(d.cfg.ProfilesDir)
	if err != nil {
		return []finding{doctorFail(check, "correct the profile file named above; floorgate profiles validate DIR checks it", "%v", err)}
	}
	var out []finding
	var models []string
	for i, s := range d.cfg.Scanners {
		sa, _ := gateway.ParseScannerAddress(s.Address) // validated with the config
		p, err := gateway.ScannerProfile(set, s, sa)
		if err != nil {
			out = append(out, doctorFail(check, d.editFix(), "scanners[%d] (%s): %v", i, s.ID, err))
			continue
		}
		models = append(models, s.ID+" → "+p.Model)
	}
	where := "shipped"
	if d.cfg.ProfilesDir != "" {
		where = "shipped and " + d.cfg.ProfilesDir
	}
	what := fmt.Sprintf("%d profiles (%s)", len(set.Models()), where)
	if len(models) > 0 {
		what += "; scanners: " + strings.Join(models, ", ")
	}
	return append([]finding{doctorOK(check, "%s", what)}, out...)
}

// checkLabels loads the label templates and the stations' choices of
// them, as start-up does.
func (d *Doctor) checkLabels() finding {
	const check = "label templates"
	wb, err := d.cfg.LoadWaybills()
	if err != nil {
		return doctorFail(check, "correct the template or the labels: section named above; floorgate template validate --dir DIR checks a directory", "%v", err)
	}
	where := "shipped"
	if d.cfg.Labels.TemplatesDir != "" {
		where = "shipped and " + d.cfg.Labels.TemplatesDir
	}
	return doctorOK(check, "%d templates (%s); waybills on %s stock in %s unless a station says otherwise",
		len(wb.Set.All()), where, d.cfg.Labels.Media, d.cfg.Labels.Lang)
}

// checkStateDir checks the state directory's permissions, the free space
// on its filesystem and the database file, which it never opens for
// writing.
func (d *Doctor) checkStateDir() []finding {
	dir := d.cfg.StateDir
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return []finding{d.missingStateDir(dir), d.checkFreeSpace(dir, 0)}
	}
	if err != nil {
		return []finding{doctorFail("state directory", "check the path and its parents' permissions", "%s: %v", dir, err)}
	}
	out := []finding{stateDirMode(dir, st)}
	db := store.PathIn(dir)
	dbf, size := d.checkDatabase(db)
	return append(out, d.checkFreeSpace(dir, size), dbf)
}

// missingStateDir: the daemon creates the state directory on first start
// if its parent lets it.
func (d *Doctor) missingStateDir(dir string) finding {
	const check = "state directory"
	parent := existingParent(dir)
	if err := syscall.Access(parent, 0o3); err != nil { // W_OK|X_OK
		return doctorFail(check, fmt.Sprintf("mkdir -p %s && chown floorgate: %s && chmod 750 %s (or StateDirectory= in the unit)", dir, dir, dir),
			"%s does not exist and %s is not writable by %s", dir, parent, currentUser())
	}
	return doctorOK(check, "%s does not exist yet; floorgate run creates it (%s is writable)", dir, parent)
}

// stateDirMode checks an existing state directory's type, owner and mode.
func stateDirMode(dir string, st os.FileInfo) finding {
	const check = "state directory"
	mode := st.Mode().Perm()
	switch {
	case !st.IsDir():
		return doctorFail(check, "set state_dir to a directory", "%s is not a directory", dir)
	case syscall.Access(dir, 0o3) != nil:
		return doctorFail(check, fmt.Sprintf("chown floorgate: %s (run the doctor as the daemon's user)", dir),
			"%s is not writable by %s (owner %s, mode %04o)", dir, currentUser(), ownerOf(st), mode)
	case mode&0o002 != 0:
		return doctorFail(check, "chmod 750 "+dir, "%s is world-writable (mode %04o)", dir, mode)
	case mode&0o004 != 0:
		return doctorWarn(check, "chmod 750 "+dir, "%s is readable by others (mode %04o); the database holds PIN and token hashes", dir, mode)
	}
	return doctorOK(check, "%s: owner %s, mode %04o, writable by %s", dir, ownerOf(st), mode, currentUser())
}

// checkFreeSpace: FAIL below the database's size plus a margin (the next
// growth step would fail), WARN below store.max_size_mb (the database
// cannot reach the cap it is allowed).
func (d *Doctor) checkFreeSpace(dir string, dbSize int64) finding {
	const check = "disk space"
	var fs syscall.Statfs_t
	where := existingParent(dir)
	if err := syscall.Statfs(where, &fs); err != nil {
		return doctorFail(check, "check the state directory's filesystem is mounted", "statfs %s: %v", where, err)
	}
	free := int64(fs.Bavail) * fs.Bsize
	capBytes := int64(d.cfg.Store.MaxSizeMB) << 20
	switch {
	case free < dbSize+minFreeMargin:
		return doctorFail(check, "free space on that filesystem or move state_dir",
			"%s free on the filesystem of %s; the database (%s) needs %s more to grow", fmtMiB(free), where, fmtMiB(dbSize), fmtMiB(minFreeMargin))
	case free < capBytes:
		return doctorWarn(check, "free space or lower store.max_size_mb in "+d.configName(),
			"%s free on the filesystem of %s, below store.max_size_mb (%d MiB)", fmtMiB(free), where, d.cfg.Store.MaxSizeMB)
	}
	return doctorOK(check, "%s free on the filesystem of %s (store.max_size_mb %d)", fmtMiB(free), where, d.cfg.Store.MaxSizeMB)
}

// configName names the configuration for a fix.
func (d *Doctor) configName() string {
	if d.ConfigPath == "" {
		return "the configuration"
	}
	return d.ConfigPath
}

// boltMagic starts every bbolt meta page (bbolt internal/common/types.go).
const boltMagic = 0xED0CDAED

// checkDatabase reports the database file's size and mode and whether a
// daemon has it open, without opening it as a database: a shared flock
// that cannot be taken means bbolt's exclusive lock is held.
func (d *Doctor) checkDatabase(path string) (finding, int64) {
	const check = "database"
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return doctorOK(check, "%s does not exist yet (made on first start)", path), 0
	}
	if err != nil {
		return doctorFail(check, "chown floorgate: "+path+" && chmod 600 "+path, "%s: %v", path, err), 0
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return doctorFail(check, "check the file system", "stat %s: %v", path, err), 0
	}
	size := st.Size()
	head := make([]byte, 20)
	if _, err := io.ReadFull(f, head); err != nil || binary.LittleEndian.Uint32(head[16:]) != boltMagic {
		return doctorFail(check, "move it aside; floorgate run makes a new one (events not yet sent upstream are lost)",
			"%s (%s) is not a floorgate database", path, fmtMiB(size)), size
	}
	inUse := "not open: no daemon is running on it"
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); {
	case errors.Is(err, syscall.EWOULDBLOCK):
		d.daemonRunning = true
		inUse = "in use by the running daemon"
	case err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	default:
		inUse = fmt.Sprintf("lock state unknown: %v", err)
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		return doctorWarn(check, "chmod 600 "+path, "%s (%s, %s) is readable by group or others (mode %04o); it holds PIN and token hashes",
			path, fmtMiB(size), inUse, mode), size
	}
	return doctorOK(check, "%s: %s, %s", path, fmtMiB(size), inUse), size
}

// credential is one configured certificate or key file.
type credential struct {
	field, path string
	key         bool
	pair        string // the field of the matching cert or key, if any
	pairPath    string
}

// credentials lists the configured certificate and key files.
func (d *Doctor) credentials() []credential {
	c := d.cfg
	var out []credential
	add := func(field, path string, key bool, pair, pairPath string) {
		if path != "" {
			out = append(out, credential{field, path, key, pair, pairPath})
		}
	}
	add("mqtt.ca_file", c.MQTT.CAFile, false, "", "")
	add("mqtt.cert_file", c.MQTT.CertFile, false, "mqtt.key_file", c.MQTT.KeyFile)
	add("mqtt.key_file", c.MQTT.KeyFile, true, "", "")
	if c.TLS.Mode == "files" {
		add("tls.cert_file", c.TLS.CertFile, false, "tls.key_file", c.TLS.KeyFile)
		add("tls.key_file", c.TLS.KeyFile, true, "", "")
	}
	return out
}

// checkCredentials checks every configured certificate and key file: it
// reads, keys are private to their owner, certificates are current and
// match their keys.
func (d *Doctor) checkCredentials() []finding {
	creds := d.credentials()
	if len(creds) == 0 {
		return []finding{doctorOK("credentials", "no certificate or key files configured (tls.mode %s)", d.cfg.TLS.Mode)}
	}
	var out []finding
	for _, c := range creds {
		out = append(out, d.checkCredential(c))
	}
	return out
}

func (d *Doctor) checkCredential(c credential) finding {
	check := "credentials " + c.field
	raw, err := os.ReadFile(c.path)
	if err != nil {
		return doctorFail(check, fmt.Sprintf("put the file in place and make it readable by the daemon's user, or edit %s", d.configName()),
			"cannot read %s: %v", c.path, err)
	}
	if c.key {
		st, err := os.Stat(c.path)
		if err != nil {
			return doctorFail(check, "check the file", "stat %s: %v", c.path, err)
		}
		if mode := st.Mode().Perm(); mode&0o077 != 0 {
			return doctorFail(check, "chmod 600 "+c.path, "private key %s is readable by group or others (mode %04o)", c.path, mode)
		}
		return doctorOK(check, "%s: private key, mode %04o", c.path, st.Mode().Perm())
	}
	certs, err := parseCerts(raw)
	if err != nil {
		return doctorFail(check, "give a PEM certificate file", "%s: %v", c.path, err)
	}
	if f, bad := d.certValidity(check, c.path, certs); bad {
		return f
	}
	what := fmt.Sprintf("%s: %s, valid until %s", c.path, certs[0].Subject, certs[0].NotAfter.UTC().Format(time.DateOnly))
	if c.pair != "" {
		keyPEM, err := os.ReadFile(c.pairPath)
		if err == nil {
			if _, err = tls.X509KeyPair(raw, keyPEM); err != nil {
				return doctorFail(check, fmt.Sprintf("give the key %s was issued for, or edit %s", c.path, d.configName()),
					"%s does not match %s %s: %v", c.path, c.pair, c.pairPath, err)
			}
			what += ", matches " + c.pair
		}
	}
	return doctorOK(check, "%s", what)
}

// certValidity FAILs a certificate that is expired or not yet valid and
// WARNs one that expires within certWarnWithin; bad reports a FAIL or WARN.
func (d *Doctor) certValidity(check, path string, certs []*x509.Certificate) (f finding, bad bool) {
	now := d.Now()
	for _, c := range certs {
		switch {
		case now.After(c.NotAfter):
			return doctorFail(check, "renew the certificate and replace "+path,
				"%s: %s expired on %s", path, c.Subject, c.NotAfter.UTC().Format(time.DateOnly)), true
		case now.Before(c.NotBefore):
			return doctorFail(check, "check the clock (see the clock check) or the certificate",
				"%s: %s is not valid before %s", path, c.Subject, c.NotBefore.UTC().Format(time.DateOnly)), true
		case c.NotAfter.Sub(now) < certWarnWithin:
			return doctorWarn(check, "renew the certificate and replace "+path,
				"%s: %s expires on %s, within %d days", path, c.Subject, c.NotAfter.UTC().Format(time.DateOnly), int(certWarnWithin.Hours()/24)), true
		}
	}
	return finding{}, false
}

// parseCerts reads every certificate of a PEM file.
func parseCerts(raw []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, raw = pem.Decode(raw)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate in it")
	}
	return out, nil
}

// devicePath is one configured device with a file on this machine.
type devicePath struct {
	check, path string
}

// checkDevices checks that each configured serial, USB-serial, usblp and
// HID device is present and that this user may open it. An absent device
// is a WARN: it may just be unplugged, and the daemon picks it up later.
func (d *Doctor) checkDevices(ctx context.Context) []finding {
	var out []finding
	// Enumerate only if a scanner needs it, and once.
	ports := sync.OnceValues(func() ([]serial.PortInfo, error) { return doctorWithin(ctx, serial.ListPorts) })
	usbDevs := sync.OnceValues(func() ([]usb.Info, error) { return doctorWithin(ctx, usb.List) })
	for _, p := range d.cfg.Printers {
		if scheme, target, _ := gateway.ParsePrinterAddress(p.Address); scheme == "serial" || scheme == "usblp" {
			out = append(out, d.openDevice(devicePath{"device printer " + p.ID, target}))
		}
	}
	for _, s := range d.cfg.Scanners {
		check := "device scanner " + s.ID
		sa, _ := gateway.ParseScannerAddress(s.Address)
		switch sa.Scheme {
		case "serial":
			out = append(out, d.openDevice(devicePath{check, sa.Path}))
		case "serial-usb":
			list, err := ports()
			out = append(out, d.serialUSB(check, list, err, sa))
		case "hid-pos", "hid-keyboard":
			list, err := usbDevs()
			out = append(out, d.hidDevice(check, list, err, sa))
		}
	}
	if len(out) == 0 {
		out = append(out, doctorOK("devices", "no serial, usblp or USB devices configured"))
	}
	return out
}

// doctorWithin runs f, giving up when ctx ends (f is left to finish on its
// own: enumeration calls into drivers cannot be interrupted).
func doctorWithin[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() { v, err := f(); ch <- result{v, err} }()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// serialUSB finds a serial-usb:// scanner's port and checks it.
func (d *Doctor) serialUSB(check string, ports []serial.PortInfo, listErr error, sa gateway.ScannerAddr) finding {
	if listErr != nil {
		return doctorWarn(check, "check that sysfs is mounted", "cannot list serial ports: %v", listErr)
	}
	path, err := serial.FindPort(ports, sa.VID, sa.PID, sa.Serial)
	if errors.Is(err, serial.ErrNotFound) {
		return doctorWarn(check, "plug it in; floorgate devices lists what is attached", "no serial port has USB id %s:%s (unplugged?)", sa.VID, sa.PID)
	}
	if err != nil {
		return doctorFail(check, "add ?serial=SN to the address ("+d.configName()+"); floorgate devices shows serial numbers", "%v", err)
	}
	return d.openDevice(devicePath{check, path})
}

// hidDevice finds a HID scanner on the USB bus and checks its device node.
func (d *Doctor) hidDevice(check string, devs []usb.Info, listErr error, sa gateway.ScannerAddr) finding {
	if listErr != nil {
		return doctorWarn(check, "check that /dev/bus/usb exists and libusb works (floorgate devices)", "cannot list USB devices: %v", listErr)
	}
	for _, u := range devs {
		if fmt.Sprintf("%04x", u.VID) != sa.VID || fmt.Sprintf("%04x", u.PID) != sa.PID || (sa.Serial != "" && u.Serial != sa.Serial) {
			continue
		}
		return d.openDevice(devicePath{check, fmt.Sprintf("/dev/bus/usb/%03d/%03d", u.Bus, u.Address)})
	}
	return doctorWarn(check, "plug it in; floorgate devices lists what is attached", "no USB device %s:%s attached (unplugged?)", sa.VID, sa.PID)
}

// openDevice opens a device node read-write without blocking and closes
// it at once: what the daemon will need, without talking to the device.
func (d *Doctor) openDevice(dp devicePath) finding {
	f, err := os.OpenFile(dp.path, os.O_RDWR|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err == nil {
		f.Close()
		return doctorOK(dp.check, "%s opens read-write", dp.path)
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return doctorWarn(dp.check, "plug it in, or correct the address in "+d.configName()+"; floorgate devices lists what is attached",
			"%s does not exist (unplugged?)", dp.path)
	case errors.Is(err, os.ErrPermission):
		group := groupOf(dp.path)
		return doctorFail(dp.check, fmt.Sprintf("add the floorgate user to the %s group (usermod -aG %s floorgate) and restart floorgate", group, group),
			"%s: permission denied for %s (group %s)", dp.path, currentUser(), group)
	case errors.Is(err, syscall.EBUSY) && d.daemonRunning:
		return doctorOK(dp.check, "%s is busy: held by the running daemon", dp.path)
	case errors.Is(err, syscall.EBUSY):
		return doctorFail(dp.check, "stop the program holding it (fuser -v "+dp.path+")", "%s is held by another program", dp.path)
	}
	return doctorFail(dp.check, "check the device and its driver (dmesg)", "open %s: %v", dp.path, err)
}

// checkPrinters asks every configured printer for its status, through the
// same printer code the daemon prints with, all at once. An unreachable
// printer FAILs; one that answers with a fault (paper out, head open, …)
// WARNs: the installation is right and the daemon holds its jobs until a
// person fixes the printer. A configured pack station no printer serves
// WARNs too: a parcel packed there gets no waybill.
func (d *Doctor) checkPrinters(ctx context.Context) []finding {
	var out []finding
	for _, st := range d.cfg.Stations {
		if !d.cfg.PrinterServes(st) {
			out = append(out, doctorWarn("station "+st, "add "+st+" to a printer's stations in "+d.configName()+", or remove it from stations",
				"no printer serves pack station %s: its waybills would be held, not printed", st))
		}
	}
	if len(d.cfg.Printers) == 0 {
		return append(out, doctorOK("printers", "none configured"))
	}
	ps := gateway.OpenPrinters(d.cfg)
	checks := make([]namedCheck, len(ps))
	for i, p := range ps {
		pc := d.cfg.Printers[i]
		checks[i] = namedCheck{"printer " + pc.ID, func(ctx context.Context) []finding {
			defer p.Close()
			ctx, cancel := context.WithTimeout(ctx, doctorNetTimeout+500*time.Millisecond)
			defer cancel()
			st, err := p.Status(ctx)
			return []finding{d.printerFinding(pc, st.Fault(), st.Online, err)}
		}}
	}
	return append(out, runChecks(ctx, checks...)...)
}

// printerFinding judges one printer's status reply.
func (d *Doctor) printerFinding(pc gateway.PrinterConfig, fault string, online bool, err error) finding {
	check := "printer " + pc.ID
	fix := "check the printer is on and connected, and its address in " + d.configName()
	if d.daemonRunning {
		fix += "; the running daemon may hold its only connection (see the status page)"
	}
	switch {
	case err != nil:
		return doctorFail(check, fix, "%s unreachable: %v", pc.Address, err)
	case !online:
		return doctorFail(check, fix, "%s did not answer a %s status query", pc.Address, pc.Dialect)
	case fault != "":
		return doctorWarn(check, "fix the printer ("+fault+"); jobs wait until it is ready", "%s answers: %s", pc.Address, fault)
	}
	return doctorOK(check, "%s answers: ready (%s)", pc.Address, pc.Dialect)
}

// checkBrokers connects to every configured broker: TCP, then TLS for
// ssl:// and wss:// with the configured CA and client certificate, then
// an MQTT CONNECT for tcp:// and ssl:// (not over WebSocket). With no
// broker configured, it checks the embedded broker's listen address.
func (d *Doctor) checkBrokers(ctx context.Context) []finding {
	if len(d.cfg.MQTT.Brokers) == 0 {
		return []finding{d.checkEmbeddedBroker(ctx)}
	}
	checks := make([]namedCheck, len(d.cfg.MQTT.Brokers))
	for i, b := range d.cfg.MQTT.Brokers {
		checks[i] = namedCheck{"broker " + b, func(ctx context.Context) []finding { return []finding{d.checkBroker(ctx, b)} }}
	}
	fs := runChecks(ctx, checks...)
	if len(fs) < 2 {
		return fs
	}
	// Several brokers are the nodes of one cluster (or one broker's
	// listeners): the gateway uses whichever answers, so a node down is
	// a warning, and only all of them down a failure.
	return someDown(fs, "brokers", "the gateway publishes to the others; bring the down ones back, or remove them from mqtt.brokers in "+d.configName(),
		"check the brokers are running, the addresses in mqtt.brokers of "+d.configName()+" and the firewall")
}

// someDown turns the failures among the findings of a cluster's nodes
// into warnings while some node passes, and adds one line that counts
// them, under check: a warning with someFix, or a failure with noneFix
// when no node passed.
func someDown(fs []finding, check, someFix, noneFix string) []finding {
	var down []string
	for _, f := range fs {
		if f.sev == sevFail {
			down = append(down, strings.TrimPrefix(f.check, strings.TrimSuffix(check, "s")+" "))
		}
	}
	switch {
	case len(down) == 0:
		return append(fs, doctorOK(check, "all %d reachable", len(fs)))
	case len(down) == len(fs):
		return append(fs, doctorFail(check, noneFix, "none of the %d is reachable", len(fs)))
	}
	for i := range fs {
		if fs[i].sev == sevFail {
			fs[i].sev = sevWarn
		}
	}
	return append(fs, doctorWarn(check, someFix, "%d of %d down: %s", len(down), len(fs), strings.Join(down, ", ")))
}

// brokerPorts are the default ports of the broker URL schemes.
var brokerPorts = map[string]string{"tcp": "1883", "mqtt": "1883", "ssl": "8883", "tls": "8883", "mqtts": "8883", "ws": "80", "wss": "443"}

func (d *Doctor) checkBroker(ctx context.Context, broker string) finding {
	check := "broker " + broker
	u, _ := url.Parse(broker) // validated with the config
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), brokerPorts[u.Scheme])
	}
	ctx, cancel := context.WithTimeout(ctx, doctorNetTimeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return doctorFail(check, "check the broker is running, the address in "+d.configName()+" and the firewall", "TCP connect to %s: %v", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	found := doctorOK(check, "TCP connect ok")
	secure := u.Scheme == "ssl" || u.Scheme == "tls" || u.Scheme == "mqtts" || u.Scheme == "wss"
	if secure {
		var tc net.Conn
		if tc, found = d.brokerTLS(ctx, check, conn, u.Hostname()); found.sev == sevFail {
			return found
		}
		conn = tc
	}
	r := doctorOK(check, "%s; MQTT CONNECT not tried over WebSocket", found.what)
	if u.Scheme != "ws" && u.Scheme != "wss" {
		r = d.mqttConnect(check, conn, found.what)
	}
	if r.sev == sevOK && found.sev == sevWarn {
		r.sev, r.fix = sevWarn, found.fix // a certificate about to expire
	}
	return r
}

// brokerTLS does the TLS handshake the gateway will do and describes the
// broker's certificate: a FAIL ends the check, a WARN (expiring soon) lets
// it go on.
func (d *Doctor) brokerTLS(ctx context.Context, check string, conn net.Conn, host string) (net.Conn, finding) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host, Time: d.Now}
	if d.cfg.MQTT.CAFile != "" {
		raw, err := os.ReadFile(d.cfg.MQTT.CAFile)
		if err != nil {
			return nil, doctorFail(check, "see the credentials checks", "read mqtt.ca_file: %v", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(raw)
		cfg.RootCAs = pool
	}
	if d.cfg.MQTT.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(d.cfg.MQTT.CertFile, d.cfg.MQTT.KeyFile)
		if err != nil {
			return nil, doctorFail(check, "see the credentials checks", "client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, doctorFail(check, "check mqtt.ca_file is the CA that signed the broker's certificate, the clock, and the client certificate",
			"TLS handshake with %s: %v", conn.RemoteAddr(), err)
	}
	leaf := tc.ConnectionState().PeerCertificates[0]
	until := leaf.NotAfter.UTC().Format(time.DateOnly)
	if f, bad := d.certValidity(check, "the broker's certificate", []*x509.Certificate{leaf}); bad {
		f.fix = "ask the broker's administrator to renew its certificate"
		f.what = fmt.Sprintf("TLS ok: server %s, expires on %s, within %d days", leaf.Subject, until, int(certWarnWithin.Hours()/24))
		return tc, f
	}
	return tc, doctorOK(check, "TLS ok: server %s, valid until %s", leaf.Subject, until)
}

// mqttConnect sends an MQTT 3.1.1 CONNECT (section 3.1) with the
// configured credentials and a client id of its own, so the running
// daemon's session is not taken over, and reads the CONNACK (3.2).
func (d *Doctor) mqttConnect(check string, conn net.Conn, found string) finding {
	clientID := fmt.Sprintf("floorgate-doctor-%s-%d", d.cfg.Site.Gateway, os.Getpid())
	code, f := d.connack(check, conn, found, clientID, d.cfg.MQTT.Username, d.cfg.MQTT.Password)
	if f.sev == sevFail {
		return f
	}
	switch code {
	case 0:
		return doctorOK(check, "%s; MQTT CONNECT accepted", found)
	case 4:
		return doctorFail(check, "check mqtt.username and mqtt.password in "+d.configName(), "%s; broker refused the username or password", found)
	case 5:
		return doctorWarn(check, "check the broker's ACL allows this user (the doctor connects as "+clientID+")", "%s; broker says not authorised", found)
	}
	return doctorFail(check, "check the broker's log", "%s; broker refused the connection (CONNACK code %d)", found, code)
}

// connack sends CONNECT and returns the CONNACK's return code, or a FAIL
// when no MQTT broker answers.
func (d *Doctor) connack(check string, conn net.Conn, found, clientID, user, password string) (byte, finding) {
	if _, err := conn.Write(connectPacket(clientID, user, password)); err != nil {
		return 0, doctorFail(check, "check the broker's listener speaks MQTT", "%s; send MQTT CONNECT: %v", found, err)
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(conn, ack); err != nil || ack[0] != 0x20 || ack[1] != 2 {
		return 0, doctorFail(check, "check the port is the broker's MQTT listener", "%s; no MQTT CONNACK: %v", found, err)
	}
	_, _ = conn.Write([]byte{0xE0, 0}) // DISCONNECT
	return ack[3], finding{}
}

// connectPacket encodes an MQTT 3.1.1 CONNECT with a clean session.
func connectPacket(clientID, username, password string) []byte {
	str := func(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
	flags := byte(0x02)
	body := append(str("MQTT"), 4, 0, 0, 30) // level 4, flags (below), keepalive 30 s
	payload := str(clientID)
	if username != "" {
		flags |= 0x80
		payload = append(payload, str(username)...)
		if password != "" {
			flags |= 0x40
			payload = append(payload, str(password)...)
		}
	}
	body[7] = flags
	body = append(body, payload...)
	pkt := []byte{0x10}
	for n := len(body); ; {
		b := byte(n % 128)
		n /= 128
		if n > 0 {
			b |= 0x80
		}
		pkt = append(pkt, b)
		if n == 0 {
			break
		}
	}
	return append(pkt, body...)
}

// checkEmbeddedBroker: the embedded broker's address must be free, or held
// by the running daemon's broker, which must refuse clients without a
// password unless the configuration allows them (then a warning).
func (d *Doctor) checkEmbeddedBroker(ctx context.Context) finding {
	addr := d.cfg.MQTT.EmbeddedListen
	check := "broker (embedded) " + addr
	anon := d.cfg.MQTT.Embedded.AllowAnonymous
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		if anon {
			return doctorWarn(check, "set mqtt.embedded.allow_anonymous: false and give tools a user (mqtt.embedded.users)",
				"the address is free; anyone on this machine will read the site's events without a password")
		}
		return doctorOK(check, "no brokers configured; the embedded broker's address is free; %d users besides the gateway, no anonymous access", len(d.cfg.MQTT.Embedded.Users))
	}
	if d.cfg.MQTT.Embedded.TLS {
		return doctorOK(check, "in use (TLS: not probed further)")
	}
	ctx, cancel := context.WithTimeout(ctx, doctorNetTimeout)
	defer cancel()
	var dialer net.Dialer
	conn, derr := dialer.DialContext(ctx, "tcp", dialable(addr))
	if derr != nil {
		return doctorFail(check, "set mqtt.embedded_listen to a free address in "+d.configName(), "cannot listen on %s: %v", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// An anonymous CONNECT: the gateway's broker refuses it (code 5)
	// unless anonymous access is configured.
	code, f := d.connack(check, conn, "address in use", fmt.Sprintf("floorgate-doctor-%d", os.Getpid()), "", "")
	switch {
	case f.sev == sevFail:
	case !d.daemonRunning:
	case code == 5 && !anon:
		return doctorOK(check, "in use by the running daemon's embedded broker, which refuses clients without a password")
	case code == 0 && anon:
		return doctorWarn(check, "set mqtt.embedded.allow_anonymous: false and give tools a user (mqtt.embedded.users)",
			"in use by the running daemon's embedded broker; anyone on this machine reads the site's events without a password")
	case code == 0:
		return doctorFail(check, "restart the gateway: it runs with an older configuration, or another broker holds the address",
			"the broker on %s lets clients in without a password", addr)
	}
	return doctorFail(check, "stop the program on "+addr+" (ss -ltnp), or set mqtt.brokers or mqtt.embedded_listen in "+d.configName(),
		"%s is in use by another program", addr)
}

// checkBackbone checks the NATS backbone, when the gateway joins one as a
// leaf node (mqtt.embedded.leaf) or Backbone names its cluster: the
// cluster's leaf listeners, the running gateway's leaf link, and with
// Backbone the cluster's JetStream side (sync.CheckBackbone).
func (d *Doctor) checkBackbone(ctx context.Context) []finding {
	leaf := d.cfg.MQTT.Embedded.Leaf
	leafMode := leaf.Enabled() && len(d.cfg.MQTT.Brokers) == 0
	if !leafMode && d.Backbone == "" {
		return nil
	}
	var out []finding
	bc := fgsync.BackboneCheck{NATS: d.Backbone, Username: d.BackboneUser, Password: d.BackbonePassword,
		Stream: leaf.Stream, Timeout: doctorNetTimeout}
	if leafMode {
		t, err := (fgsync.Config{CAFile: leaf.CAFile, CertFile: leaf.CertFile, KeyFile: leaf.KeyFile}).TLSConfig()
		if err != nil {
			out = append(out, doctorFail("leaf TLS", "see the credentials checks; fix mqtt.embedded.leaf in "+d.configName(), "%v", err))
		}
		bc.LeafURLs, bc.LeafTLS = leaf.URLs, t
	}
	h := fgsync.CheckBackbone(ctx, bc)
	if leafMode {
		var fs []finding
		for _, ep := range h.Leaves {
			fs = append(fs, d.leafListener(ep))
		}
		if len(fs) > 1 {
			fs = someDown(fs, "leaf listeners", "the link uses the others; bring the down nodes back, or remove them from mqtt.embedded.leaf.urls in "+d.configName(),
				"check the cluster's nodes are running, mqtt.embedded.leaf.urls in "+d.configName()+" and the firewall")
		}
		out = append(out, fs...)
		out = append(out, d.leafLink(ctx))
	}
	if h.Cluster != nil {
		out = append(out, backboneCluster(h.Cluster)...)
	}
	return out
}

// leafListener is the finding of one of the cluster's leaf listeners.
func (d *Doctor) leafListener(ep fgsync.Endpoint) finding {
	check := "leaf listener " + ep.URL
	if ep.Err != nil {
		fix := "check the cluster node is running (its leafnodes listener), the URL in mqtt.embedded.leaf.urls of " + d.configName() + " and the firewall"
		if strings.Contains(ep.Err.Error(), "TLS handshake") {
			fix = "check mqtt.embedded.leaf.ca_file is the CA that signed the cluster's certificate, the clock, and the client certificate"
		}
		return doctorFail(check, fix, "%v", ep.Err)
	}
	what := "TCP connect ok, a NATS leaf-node listener"
	if ep.Server != "" {
		what += " (server " + ep.Server + ")"
	}
	if ep.TLS {
		what += ", TLS ok"
	}
	return doctorOK(check, "%s", what)
}

// leafLink reads the running gateway's leaf link from its status, over
// the local socket.
func (d *Doctor) leafLink(ctx context.Context) finding {
	const check = "leaf link"
	if !d.daemonRunning {
		return doctorOK(check, "the gateway is not running; its broker joins the cluster when it starts")
	}
	var st struct {
		Leaf *struct {
			Domain    string    `json:"domain"`
			HubDomain string    `json:"hub_domain"`
			Connected bool      `json:"connected"`
			Remote    string    `json:"remote"`
			RTT       string    `json:"rtt"`
			Since     time.Time `json:"since"`
		} `json:"leaf"`
	}
	sock := d.cfg.SocketPath()
	err := client.Local(sock).Get(ctx, "/api/v1/status", &st)
	switch {
	case errors.Is(err, os.ErrPermission):
		return doctorWarn(check, "run doctor as root or as a member of group floorgate", "the local socket %s, which would tell the link's state, is not open to %s", sock, currentUser())
	case err != nil:
		return doctorWarn(check, "restart the gateway (systemctl restart floorgate) if it does not answer", "the running gateway's status: %v", err)
	case st.Leaf == nil:
		return doctorWarn(check, "restart the gateway (systemctl restart floorgate): it runs with an older configuration", "the running gateway has no leaf link")
	case !st.Leaf.Connected:
		return doctorFail(check, "see the leaf listener lines above; check mqtt.embedded.leaf.username and password, and the cluster's log for this domain",
			"domain %s: down since %s", st.Leaf.Domain, st.Leaf.Since.UTC().Format(time.RFC3339))
	}
	return doctorOK(check, "domain %s: up to %s since %s, round trip %s", st.Leaf.Domain, st.Leaf.Remote, st.Leaf.Since.UTC().Format(time.RFC3339), st.Leaf.RTT)
}

// backboneCluster are the findings of the cluster's JetStream side.
func backboneCluster(h *fgsync.ClusterHealth) []finding {
	var out []finding
	var nodes []finding
	for _, n := range h.Nodes {
		check := "backbone node " + n.URL
		if n.Err != nil {
			fix := "start nats-server on it (systemctl start nats-server), or check the URL in --backbone and the firewall"
			if strings.Contains(strings.ToLower(n.Err.Error()), "authorization") {
				fix = "check --backbone-user and --backbone-password: an account user of the cluster"
			}
			nodes = append(nodes, doctorFail(check, fix, "%v", n.Err))
			continue
		}
		nodes = append(nodes, doctorOK(check, "server %s answers", n.Server))
	}
	if len(nodes) > 1 {
		nodes = someDown(nodes, "backbone nodes", "bring the down nodes back (systemctl start nats-server): the cluster runs on a majority, with no node to spare",
			"check the cluster is running, the URLs in --backbone and the firewall")
	}
	out = append(out, nodes...)
	if h.JetStream != nil {
		return append(out, doctorFail("backbone JetStream", "check a majority of the nodes run with JetStream enabled for the account; see nats-server's log",
			"the account's JetStream does not answer (no meta leader, or not enabled): %v", h.JetStream))
	}
	out = append(out, doctorOK("backbone JetStream", "the account's JetStream answers: the cluster has a meta leader"))

	store := "backbone store $MQTT_msgs"
	switch {
	case h.StoreMissing:
		out = append(out, doctorWarn(store, "run floorgate backbone init", "the cluster's MQTT store does not exist yet: no MQTT client has connected"))
	case h.StoreErr != nil:
		out = append(out, doctorFail(store, "see nats-server's log; run floorgate backbone init", "%v", h.StoreErr))
	case h.StoreRetention != "Limits":
		out = append(out, doctorFail(store, "run floorgate backbone init",
			"kept by %s retention: an event no MQTT subscriber wants is deleted at once, and may never reach %s", strings.ToLower(h.StoreRetention), h.Stream))
	default:
		out = append(out, doctorOK(store, "kept by age (limits retention)"))
	}

	check := "backbone stream " + h.Stream
	switch {
	case h.StreamMissing:
		return append(out, doctorFail(check, "run floorgate backbone init", "the events stream does not exist"))
	case h.StreamErr != nil:
		return append(out, doctorFail(check, "check a majority of its replicas' nodes run; see nats-server's log", "%v", h.StreamErr))
	case h.Leader == "" && h.Replicas > 1:
		out = append(out, doctorFail(check, "bring back a majority of the nodes that hold it", "R%d with no leader: events are not stored", h.Replicas))
	}
	var behind []string
	for _, p := range h.Peers {
		if p.Lagging() {
			state := "not current"
			if p.Offline {
				state = "offline"
			}
			behind = append(behind, fmt.Sprintf("%s (%s, last seen %s ago)", p.Name, state, p.Active.Round(time.Second)))
		}
	}
	switch {
	case len(behind) > 0:
		out = append(out, doctorWarn(check, "bring "+strings.Join(peerNames(h.Peers), ", ")+" back (systemctl start nats-server there); the stream keeps working while a majority is current",
			"R%d, leader %s; replicas behind: %s", h.Replicas, h.Leader, strings.Join(behind, ", ")))
	case h.Replicas < 3:
		out = append(out, doctorWarn(check, "run floorgate backbone init --replicas 3", "R%d: losing one node loses events", h.Replicas))
	case h.Leader != "" || h.Replicas == 1:
		out = append(out, doctorOK(check, "R%d, leader %s, every replica current, %d events", h.Replicas, h.Leader, h.Messages))
	}

	var stalled []finding
	active := 0
	for _, s := range h.Sources {
		if !s.Stalled {
			active++
			continue
		}
		what := "never heard from"
		if s.Active >= 0 {
			what = fmt.Sprintf("last heard from %s ago", s.Active.Round(time.Second))
		}
		if s.Err != "" {
			what += "; " + s.Err
		}
		if s.Domain == "" {
			stalled = append(stalled, doctorFail("backbone source $MQTT_msgs", "see nats-server's log on the stream's leader; run floorgate backbone init",
				"the cluster's own MQTT store: %s", what))
			continue
		}
		stalled = append(stalled, doctorWarn("backbone source "+s.Domain,
			"check the gateway with mqtt.embedded.leaf.domain "+s.Domain+" runs and its leaf link is up (floorgate doctor there); its events wait on it meanwhile",
			"leaf site %s: %s", s.Domain, what))
	}
	if len(h.Sources) > 0 {
		out = append(out, doctorOK("backbone sources", "%d of %d sources of %s active", active, len(h.Sources), h.Stream))
	}
	return append(out, stalled...)
}

// peerNames are the replicas that are behind.
func peerNames(ps []fgsync.Replica) []string {
	var names []string
	for _, p := range ps {
		if p.Lagging() {
			names = append(names, p.Name)
		}
	}
	return names
}

// dialable turns a listen address into one to connect to.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// checkClock: the clock is past doctorClockFloor, and NTP-synchronised
// when timedatectl can say (WARN if it says no; unknown is not a fault:
// not every box runs systemd).
func (d *Doctor) checkClock(ctx context.Context) []finding {
	const check = "clock"
	now := d.Now()
	floor, _ := time.Parse(time.DateOnly, doctorClockFloor)
	if now.Before(floor) {
		return []finding{doctorFail(check, "set the clock (timedatectl set-time) and enable systemd-timesyncd",
			"%s is before %s: certificates and event times will be wrong", now.UTC().Format(time.RFC3339), doctorClockFloor)}
	}
	ctx, cancel := context.WithTimeout(ctx, doctorNetTimeout)
	defer cancel()
	synced, err := d.NTPSynchronized(ctx)
	switch {
	case err != nil:
		return []finding{doctorOK(check, "%s; NTP state unknown (%v)", now.UTC().Format(time.RFC3339), err)}
	case synced != "yes":
		return []finding{doctorWarn(check, "enable systemd-timesyncd (timedatectl set-ntp true) and let it reach an NTP server",
			"%s; clock not synchronised (NTPSynchronized=%s)", now.UTC().Format(time.RFC3339), synced)}
	}
	return []finding{doctorOK(check, "%s, NTP synchronised", now.UTC().Format(time.RFC3339))}
}

// timedatectlNTP asks systemd whether the clock is NTP-synchronised.
func timedatectlNTP(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "timedatectl", "show", "-p", "NTPSynchronized", "--value").Output()
	if err != nil {
		return "", fmt.Errorf("timedatectl: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// checkListener: listen must be free, or held by a running floorgate
// (its /healthz answers "ok").
func (d *Doctor) checkListener(ctx context.Context) []finding {
	addr := d.cfg.Listen
	check := "listener " + addr
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		return []finding{doctorOK(check, "free for the daemon")}
	}
	sock := d.cfg.SocketPath()
	err = client.Local(sock).Do(ctx, http.MethodGet, "/healthz", nil, nil)
	switch {
	case err == nil:
		return []finding{doctorOK(check, "in use by the running floorgate (its local socket %s answers)", sock)}
	case errors.Is(err, os.ErrPermission):
		return []finding{doctorWarn(check, "run doctor as root or as a member of group floorgate",
			"%s is in use; the local socket %s, which would say whether it is floorgate, is not open to %s", addr, sock, currentUser())}
	}
	return []finding{doctorFail(check, "stop the program on "+addr+" (ss -ltnp), or change listen in "+d.configName(),
		"%s is in use by a program that is not this gateway: none answers on its local socket %s", addr, sock)}
}

// checkLocalSocket: the running gateway's local socket is there, a
// socket, and open only to its owner and group.
func (d *Doctor) checkLocalSocket(context.Context) []finding {
	path := d.cfg.SocketPath()
	check := "local socket " + path
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && !d.daemonRunning:
		return []finding{doctorOK(check, "the gateway is not running; it makes the socket at start")}
	case err != nil:
		return []finding{doctorFail(check, "restart the gateway (systemctl restart floorgate)", "%v", err)}
	case fi.Mode().Type() != os.ModeSocket:
		return []finding{doctorFail(check, "remove it; the gateway makes its socket at start", "%s is not a socket (%s)", path, fi.Mode())}
	case fi.Mode().Perm()&0o007 != 0:
		return []finding{doctorFail(check, "restart the gateway, which sets mode 0660; check local_socket's directory", "anyone on this machine may administer the gateway: mode %04o", fi.Mode().Perm())}
	}
	return []finding{doctorOK(check, "mode %04o, owner %s, group %s: root and group %s administer the gateway", fi.Mode().Perm(), ownerOf(fi), groupOf(path), groupOf(path))}
}

// existingParent is path or its nearest ancestor that exists.
func existingParent(path string) string {
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || p == filepath.Dir(p) {
			return p
		}
	}
}

// currentUser names the user the doctor runs as.
func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "uid " + strconv.Itoa(os.Geteuid())
}

// ownerOf names a file's owner.
func ownerOf(st os.FileInfo) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "?"
	}
	id := strconv.Itoa(int(sys.Uid))
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return "uid " + id
}

// groupOf names a file's group, the one a user needs to open it.
func groupOf(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "dialout"
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "dialout"
	}
	id := strconv.Itoa(int(sys.Gid))
	if g, err := user.LookupGroupId(id); err == nil {
		return g.Name
	}
	return "gid " + id
}

// fmtMiB formats a byte count for a person.
func fmtMiB(n int64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
