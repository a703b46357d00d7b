package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	profiles "github.com/floorgate/floorgate/firmware-profiles"
)

// sitePrinter and siteScanner are a site's own profiles: ids the shipped
// profiles do not list, in each of the three node kinds.
const (
	siteScanner = `model: Site Scanner 9000
kind: scanner
transports: [serial, hid-pos]
usb_ids:
  - {vid: "1EAB", pid: "1D06", mode: serial}
  - {vid: "1eab", pid: "1d03", mode: hid-pos}
serial: {baud: 9600, data_bits: 8, parity: none, stop_bits: 1, flow: none}
dialect: raw
`
	sitePrinter = `model: Site Label/Printer
kind: printer
transports: [usb, tcp]
usb: {vid: "0a5f", pid: "0164"}
printer: {language: zpl, dpi: 203, status: none}
`
)

func writeSiteProfiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"scanner.yaml": siteScanner, "printer.yaml": sitePrinter} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runUdevRules(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if err := dispatch(context.Background(), append([]string{"udev-rules"}, args...), &out, &errb); err != nil {
		t.Fatalf("udev-rules %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// idMatch is how a rule names a USB id, on the device or on a parent.
func idMatch(vid, pid string) *regexp.Regexp {
	return regexp.MustCompile(fmt.Sprintf(`ATTRS?\{idVendor\}==%q, ATTRS?\{idProduct\}==%q`,
		strings.ToLower(vid), strings.ToLower(pid)))
}

func TestUdevRulesShipped(t *testing.T) {
	out := runUdevRules(t)
	want := `SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="05e0", ATTR{idProduct}=="1200", GROUP="plugdev", MODE="0660", SYMLINK+="floorgate/scanner-usb-05e0-1200-%k"`
	if !strings.Contains(out, want+"\n") {
		t.Errorf("no DS2208 keyboard-mode rule %s in:\n%s", want, out)
	}
	set, err := profiles.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range set.Models() {
		p, _ := set.Get(m)
		if p.Kind == profiles.KindPDA {
			continue
		}
		for _, id := range p.IDs() {
			n++
			if !idMatch(id.VID, id.PID).MatchString(out) {
				t.Errorf("%s: no rule for %s:%s", m, id.VID, id.PID)
			}
		}
	}
	if n == 0 {
		t.Fatal("the shipped profiles list no USB id: nothing was checked")
	}
	if !strings.Contains(out, "# Zebra DS2208, Zebra DS4608, Zebra DS9308 (scanner, hid-keyboard)") {
		t.Errorf("the shared id's comment does not name every model:\n%s", out)
	}
}

func TestUdevRulesSiteProfiles(t *testing.T) {
	dir := writeSiteProfiles(t)
	out := runUdevRules(t, "--profiles", dir)
	for _, want := range []string{
		// a serial-mode scanner id: its tty, group dialout
		`SUBSYSTEM=="tty", ATTRS{idVendor}=="1eab", ATTRS{idProduct}=="1d06", GROUP="dialout", MODE="0660", SYMLINK+="floorgate/scanner-site-scanner-9000-%k"`,
		// a HID POS scanner id: the USB device libusb opens, group plugdev
		`SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="1eab", ATTR{idProduct}=="1d03", GROUP="plugdev", MODE="0660", SYMLINK+="floorgate/scanner-site-scanner-9000-%k"`,
		// a USB printer: the usblp node, group lp; tcp gives no rule
		`SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*", ATTRS{idVendor}=="0a5f", ATTRS{idProduct}=="0164", GROUP="lp", MODE="0660", SYMLINK+="floorgate/printer-site-label-printer-%k"`,
		// the shipped ones stay
		`ATTR{idVendor}=="05e0", ATTR{idProduct}=="1200"`,
		"udev-rules --profiles " + dir,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}
	if got := strings.Count(out, "\nSUBSYSTEM=="); got != 4 {
		t.Errorf("%d rules, want 4 (one shipped, three site):\n%s", got, out)
	}
	if err := dispatch(context.Background(), []string{"udev-rules", "--profiles", filepath.Join(dir, "none")}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("a missing profile directory was accepted")
	}
}

// TestUdevRulesStable: the rules come from maps; the output must not.
func TestUdevRulesStable(t *testing.T) {
	dir := writeSiteProfiles(t)
	first := runUdevRules(t, "--profiles", dir)
	for range 20 {
		if again := runUdevRules(t, "--profiles", dir); again != first {
			t.Fatalf("output changed between runs:\n%s\n---\n%s", first, again)
		}
	}
}

// TestCommittedUdevRules keeps the packaged systemd/60-floorgate.rules equal
// to what the shipped profiles generate.
func TestCommittedUdevRules(t *testing.T) {
	committed, err := os.ReadFile("../../systemd/60-floorgate.rules")
	if err != nil {
		t.Fatal(err)
	}
	if got := runUdevRules(t); string(committed) != got {
		t.Errorf("systemd/60-floorgate.rules is stale; regenerate it: go run ./cmd/floorgate udev-rules > systemd/60-floorgate.rules\n--- committed\n%s\n--- generated\n%s", committed, got)
	}
}

// TestUdevRulesSyntax checks the generated rules with udevadm verify when
// this udev has it (systemd 253 and later), and always with checkUdevSyntax.
func TestUdevRulesSyntax(t *testing.T) {
	out := runUdevRules(t, "--profiles", writeSiteProfiles(t))
	if err := checkUdevSyntax(out); err != nil {
		t.Fatal(err)
	}
	help, err := exec.Command("udevadm", "--help").CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^\s+verify\s`).Match(help) {
		t.Log("udevadm has no verify command here; checked with checkUdevSyntax only")
		return
	}
	file := filepath.Join(t.TempDir(), "60-floorgate.rules")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command("udevadm", "verify", file).CombinedOutput(); err != nil {
		t.Fatalf("udevadm verify: %v\n%s", err, msg)
	}
}

func TestCheckUdevSyntaxRejects(t *testing.T) {
	for _, bad := range []string{
		`SUBSYSTEM=="usb" GROUP="plugdev"`,                        // no comma
		`SUBSYSTEM=="usb", GROUP=="plugdev"`,                      // comparing an assignment key
		`SUBSYSTEM="usb", GROUP="plugdev"`,                        // assigning a match key
		`SUBSYSTEM=="usb", ATTR{idVendor}=="05e0, MODE="0660"`,    // unbalanced quote
		`SUBSYSTEM=="usb", GOTO="nowhere"`,                        // no such label
		`SUBSYSTEM=="usb", SYMLINK+="floorgate/a b", MODE="0660"`, // space in a link
		`SUBSYSTEM=="usb"`,                                        // matches but does nothing
	} {
		if err := checkUdevSyntax(bad + "\n"); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

var (
	udevPair     = regexp.MustCompile(`^([A-Z]+)(\{[A-Za-z0-9_]+\})?(==|!=|\+=|:=|=)"([^"]*)"$`)
	udevMatchKey = map[string]bool{"ACTION": true, "SUBSYSTEM": true, "KERNEL": true, "ENV": true, "ATTR": true, "ATTRS": true}
	udevAssign   = map[string]bool{"GROUP": true, "MODE": true, "SYMLINK": true, "GOTO": true, "LABEL": true}
)

// checkUdevSyntax is a small checker for the subset of udev's rule syntax
// udevRules writes (udev(7)): every line is blank, a comment, or
// comma-separated KEY=="value" matches followed by KEY="value" assignments
// of known keys; every GOTO has its LABEL.
func checkUdevSyntax(rules string) error {
	labels, gotos := map[string]bool{}, map[string]int{}
	for i, line := range strings.Split(strings.TrimSuffix(rules, "\n"), "\n") {
		n := i + 1
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		assigned := false
		for _, pair := range strings.Split(line, ", ") {
			m := udevPair.FindStringSubmatch(pair)
			if m == nil {
				return fmt.Errorf("line %d: %q is not KEY==\"value\" or KEY=\"value\"", n, pair)
			}
			key, attr, op, val := m[1], m[2], m[3], m[4]
			match := op == "==" || op == "!="
			switch {
			case match && !udevMatchKey[key]:
				return fmt.Errorf("line %d: %s is not a match key", n, key)
			case !match && !udevAssign[key]:
				return fmt.Errorf("line %d: %s is not an assignment key", n, key)
			case match && assigned:
				return fmt.Errorf("line %d: match %s after an assignment", n, key)
			case (key == "ENV" || key == "ATTR" || key == "ATTRS") != (attr != ""):
				return fmt.Errorf("line %d: %s{…} braces are wrong", n, key)
			case key == "MODE" && !regexp.MustCompile(`^0[0-7]{3}$`).MatchString(val):
				return fmt.Errorf("line %d: mode %q", n, val)
			case key == "SYMLINK" && !regexp.MustCompile(`^[A-Za-z0-9_./%-]+$`).MatchString(val):
				return fmt.Errorf("line %d: link %q", n, val)
			}
			if !match {
				assigned = true
			}
			switch key {
			case "LABEL":
				labels[val] = true
			case "GOTO":
				gotos[val] = n
			}
		}
		if !assigned {
			return fmt.Errorf("line %d: a rule with no assignment", n)
		}
	}
	for l, n := range gotos {
		if !labels[l] {
			return fmt.Errorf("line %d: GOTO %q has no LABEL", n, l)
		}
	}
	return nil
}
