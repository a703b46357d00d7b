package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	profiles "github.com/floorgate/floorgate/firmware-profiles"
)

// udevRulesCommand prints udev rules for every USB id of the scanner and
// printer profiles (the shipped ones and a site directory's), so that the
// daemon, running as the unprivileged floorgate user, can open the devices
// it drives. The package installs the shipped profiles' rules as
// /lib/udev/rules.d/60-floorgate.rules (systemd/60-floorgate.rules).
func udevRulesCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("udev-rules", "", "Print udev rules that give the profiles' scanners stable names and the floorgate group's access.", stdout, stderr)
	dir := fs.String("profiles", "", "a site directory of device profiles, besides the shipped ones")
	if err := fs.parse(args, 0); err != nil {
		return err
	}
	set, err := profiles.Load(*dir)
	if err != nil {
		return fmt.Errorf("udev-rules: %w", err)
	}
	if _, err := stdout.Write(udevRules(set, *dir)); err != nil {
		return fmt.Errorf("udev-rules: %w", err)
	}
	return nil
}

// udevNode is the kind of device node one rule gives access to.
type udevNode struct {
	subsystem string // udev SUBSYSTEM of the node
	match     string // further match keys, before the id match
	attr      string // ATTR (the device itself) or ATTRS (a parent)
	group     string // the group the node gets
	why       string // what opens the node, for the rule's comment
}

// The three ways floorgate reaches a USB device. Each group is one of the
// unit's SupplementaryGroups=.
var (
	// USB-serial (ttyUSB) and USB-CDC (ttyACM) ports; the tty's USB ids
	// are on its parent USB device.
	ttyNode = udevNode{subsystem: "tty", attr: "ATTRS", group: "dialout",
		why: "serial port /dev/ttyUSB*, /dev/ttyACM*"}
	// The USB device itself, which libusb opens under /dev/bus/usb to
	// claim a HID scanner's interface.
	usbNode = udevNode{subsystem: "usb", match: `ENV{DEVTYPE}=="usb_device", `, attr: "ATTR", group: "plugdev",
		why: "libusb, /dev/bus/usb"}
	// The usblp printer-class node /dev/usb/lp*.
	lpNode = udevNode{subsystem: "usbmisc", match: `KERNEL=="lp[0-9]*", `, attr: "ATTRS", group: "lp",
		why: "printer class /dev/usb/lp*"}
)

// udevNodes returns the nodes a device of kind enumerates as with a USB id
// of mode: the mode's own, or every one the profile's transports allow when
// the id names no mode.
func udevNodes(p *profiles.Profile, mode string) []udevNode {
	has := func(t string) bool {
		if mode != "" {
			return mode == t
		}
		return p.HasTransport(t)
	}
	var nodes []udevNode
	switch p.Kind {
	case profiles.KindScanner:
		if has("serial") {
			nodes = append(nodes, ttyNode)
		}
		if has("hid-pos") || has("hid-keyboard") {
			nodes = append(nodes, usbNode)
		}
	case profiles.KindPrinter:
		if has("serial") {
			nodes = append(nodes, ttyNode)
		}
		if has("usb") {
			nodes = append(nodes, lpNode)
		}
	}
	return nodes
}

// udevRule is one rule: a node of one USB id, and the models that list it.
type udevRule struct {
	node     udevNode
	kind     string
	vid, pid string
	models   []string
	modes    []string
}

// symlink names the rule's stable link under /dev/floorgate/: the kind, the
// model's slug (or the USB id when several models share it, as Zebra's
// scanners do in keyboard mode) and the kernel name (ttyACM0, lp0, or the
// USB port path 1-1.2 of a /dev/bus/usb device).
func (r *udevRule) symlink() string {
	name := slug(r.models[0])
	if len(r.models) > 1 {
		name = "usb-" + r.vid + "-" + r.pid
	}
	return "floorgate/" + r.kind + "-" + name + "-%k"
}

// slug lowercases a model name and turns every run of other characters
// than letters and digits into one dash: "Epson TM-T20III" → "epson-tm-t20iii".
func slug(model string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(model) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	return b.String()
}

// udevRules renders the rules for the scanner and printer USB ids of set,
// sorted by id and node, one rule per id and node however many profiles
// list it. dir is the site profile directory the set was loaded with ("" for
// the shipped profiles only); the header names it so the file says how to
// make it again.
func udevRules(set *profiles.Set, dir string) []byte {
	rules := map[string]*udevRule{}
	for _, m := range set.Models() {
		p, _ := set.Get(m)
		for _, id := range p.IDs() {
			vid, pid := strings.ToLower(id.VID), strings.ToLower(id.PID)
			for _, n := range udevNodes(p, id.Mode) {
				k := strings.Join([]string{vid, pid, n.subsystem, p.Kind}, "/")
				r := rules[k]
				if r == nil {
					r = &udevRule{node: n, kind: p.Kind, vid: vid, pid: pid}
					rules[k] = r
				}
				if !slices.Contains(r.models, p.Model) {
					r.models = append(r.models, p.Model)
				}
				mode := id.Mode
				if mode == "" {
					mode = "any mode"
				}
				if !slices.Contains(r.modes, mode) {
					r.modes = append(r.modes, mode)
				}
			}
		}
	}
	keys := make([]string, 0, len(rules))
	for k := range rules {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	var b bytes.Buffer
	cmd := "floorgate udev-rules"
	from := "the shipped firmware profiles"
	if dir != "" {
		cmd += " --profiles " + dir
		from += " and the site profiles in " + dir
	}
	fmt.Fprintf(&b, `# floorgate: access to the USB scanners and printers its device profiles know.
# Generated by %q from %s; do not edit.
# Regenerate the shipped file:  go run ./cmd/floorgate udev-rules > systemd/60-floorgate.rules
# A site with its own profiles (profiles_dir) replaces it with:
#   floorgate udev-rules --profiles DIR > /etc/udev/rules.d/60-floorgate.rules
#   udevadm control --reload-rules && udevadm trigger
#
# Each node gets group dialout (serial), plugdev (libusb) or lp (usblp), mode
# 0660, and a stable link /dev/floorgate/KIND-MODEL-KERNEL, e.g.
# /dev/floorgate/scanner-zebra-ds2208-ttyACM0; MODEL is usb-VID-PID when
# several profiles share the id, KERNEL is ttyACM0, lp0 or the USB port 1-1.2.

ACTION=="remove", GOTO="floorgate_end"
`, cmd, from)
	for _, k := range keys {
		r := rules[k]
		fmt.Fprintf(&b, "\n# %s (%s, %s): %s\n", strings.Join(r.models, ", "), r.kind, strings.Join(r.modes, ", "), r.node.why)
		fmt.Fprintf(&b, `SUBSYSTEM==%q, %s%s{idVendor}==%q, %s{idProduct}==%q, GROUP=%q, MODE="0660", SYMLINK+=%q`+"\n",
			r.node.subsystem, r.node.match, r.node.attr, r.vid, r.node.attr, r.pid, r.node.group, r.symlink())
	}
	b.WriteString("\nLABEL=\"floorgate_end\"\n")
	return b.Bytes()
}
