package cli

import (
	"fmt"
	"io"

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
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	set, err := profiles.Load(*dir)
	if err != nil {
		return fmt.Errorf("udev-rules: %w", err)
	}
	if _, err := stdout.Write(set.UdevRules(*dir)); err != nil {
		return fmt.Errorf("udev-rules: %w", err)
	}
	return nil
}
