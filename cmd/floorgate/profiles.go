package main

import (
	"errors"
	"fmt"
	"io"

	profiles "github.com/floorgate/floorgate/firmware-profiles"
)

// profilesCommand checks device profiles: the shipped ones, and a site
// directory's when one is given.
func profilesCommand(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "validate" || len(args) > 2 {
		return errors.New("profiles: want: profiles validate [DIR]")
	}
	dir := ""
	if len(args) == 2 {
		dir = args[1]
	}
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
