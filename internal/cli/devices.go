package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/floorgate/floorgate/device/usb"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
	"github.com/floorgate/floorgate/internal/serialline"
)

// devicesCommand lists the serial ports and USB devices this machine can
// see, each with the device profile its USB id matches and the address to
// put in the configuration: what a site admin needs to set up a scanner.
func devicesCommand(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("devices", "", "List the serial ports and USB devices this machine sees, with the device profile each matches and the address to configure.", stdout, stderr)
	dir := fs.String("profiles", "", "a site directory of device profiles, besides the shipped ones")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	set, err := profiles.Load(*dir)
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	ports, err := serialline.Ports()
	if err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	fmt.Fprintf(stdout, "serial ports: %d\n", len(ports))
	for _, p := range ports {
		line := "  " + p.Path
		if p.USB {
			line += fmt.Sprintf("  usb %s:%s", p.VID, p.PID)
			if p.SerialNumber != "" {
				line += " serial " + p.SerialNumber
			}
			if prof, ok := set.ByUSB(p.VID, p.PID); ok {
				line += fmt.Sprintf("  %s  address: serial-usb://%s:%s", prof.Model, p.VID, p.PID)
				if p.SerialNumber != "" {
					line += "?serial=" + p.SerialNumber
				}
			}
		}
		fmt.Fprintln(stdout, line)
	}
	devs, err := usb.List()
	if err != nil {
		// Serial scanners work without libusb; say why USB is not listed.
		fmt.Fprintf(stdout, "usb devices: not listed: %v\n", err)
		return nil
	}
	fmt.Fprintf(stdout, "usb devices: %d\n", len(devs))
	for _, d := range devs {
		line := "  " + d.String()
		vid, pid := fmt.Sprintf("%04x", d.VID), fmt.Sprintf("%04x", d.PID)
		if prof, ok := set.ByUSB(vid, pid); ok {
			line += "  " + prof.Model
			for _, id := range prof.IDs() {
				if strings.EqualFold(id.VID, vid) && strings.EqualFold(id.PID, pid) && (id.Mode == "hid-pos" || id.Mode == "hid-keyboard") {
					line += fmt.Sprintf("  address: %s://%s:%s", id.Mode, vid, pid)
				}
			}
		}
		fmt.Fprintln(stdout, line)
	}
	return nil
}
