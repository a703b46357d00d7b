package cli

import (
	"fmt"
	"io"

	profiles "github.com/floorgate/floorgate/firmware-profiles"
	"github.com/floorgate/floorgate/internal/cmdline"
)

// profilesCommand checks device profiles: the shipped ones, and a site
// directory's when one is given.
func profilesCommand(args []string, stdout, stderr io.Writer) error {
	_, args, err := cmdline.Subcommand(prog, "profiles", args, map[string]string{
		"validate": "check the shipped device profiles and, when given, a site directory of them",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	fs := newFlags("profiles validate", "[DIR]", "Check the shipped device profiles and, when DIR is given, a site directory of profiles that add to or override them.", stdout, stderr)
	if err := fs.ParseArgs(args, -1); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fs.PrintUsage(stderr)
		return cmdline.Usagef("profiles validate: want at most one DIR")
	}
	dir := fs.Arg(0)
	set, err := profiles.Load(dir)
	if err != nil {
		return fmt.Errorf("profiles validate: %w", err)
	}
	where := "shipped"
	if dir != "" {
		where = "shipped and " + dir
	}
	fmt.Fprintf(stdout, "%d profiles (%s) are valid\n", len(set.Models()), where)
	return nil
}
