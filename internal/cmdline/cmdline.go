// Package cmdline is how floorgate's programs (floorgate, floorgate-bench)
// treat a command line: `-h`/`--help` print the command's usage to
// standard output and exit 0; an unknown flag or a wrong number of
// arguments prints the usage to standard error and exits 2; a failure
// exits 1.
package cmdline

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// UsageError is a command line the command cannot take: exit 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef is a UsageError with a message.
func Usagef(format string, args ...any) error {
	return UsageError{Err: fmt.Errorf(format, args...)}
}

// Flags is a command's flag set and where its usage goes.
type Flags struct {
	*flag.FlagSet
	stdout, stderr io.Writer
	usage          string // "floorgate NAME ARGS"
	summary        string
	args           []string // the arguments left after the flags
}

// Args are the command's arguments, wherever the flags were among them.
func (f *Flags) Args() []string { return f.args }

// NArg is how many arguments there are.
func (f *Flags) NArg() int { return len(f.args) }

// Arg is argument i, or "".
func (f *Flags) Arg(i int) string {
	if i < 0 || i >= len(f.args) {
		return ""
	}
	return f.args[i]
}

// NewFlags returns the flag set of "prog name", whose arguments are args
// (shown in the usage) and whose one-line description is summary.
func NewFlags(prog, name, args, summary string, stdout, stderr io.Writer) *Flags {
	f := &Flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout, stderr: stderr,
		usage: strings.TrimSpace(prog + " " + name + " " + args), summary: summary}
	f.SetOutput(io.Discard) // ParseArgs reports errors itself
	return f
}

// PrintUsage writes the usage and the flags.
func (f *Flags) PrintUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", f.usage, f.summary)
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		f.SetOutput(w)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
}

// ParseArgs parses args, flags before or after the arguments ("--" ends
// the flags); want is how many arguments the command takes (-1: any
// number).
func (f *Flags) ParseArgs(args []string, want int) error {
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				f.PrintUsage(f.stdout)
				return flag.ErrHelp
			}
			f.PrintUsage(f.stderr)
			return UsageError{Err: err}
		}
		rest := f.FlagSet.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			f.args = append(f.args, rest...) // after "--": all arguments
			break
		}
		f.args, args = append(f.args, rest[0]), rest[1:]
	}
	if want >= 0 && f.NArg() != want {
		f.PrintUsage(f.stderr)
		return Usagef("%s: want %d argument(s), got %d", f.Name(), want, f.NArg())
	}
	return nil
}

// ExitCode reports err as prog's and says how the process ends: 0 for
// success, a clean stop or a help request, 2 for a command line it cannot
// take, 1 for a failure.
func ExitCode(prog string, err error, stderr io.Writer) int {
	var ue UsageError
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, prog+":", err)
		return 2
	}
	fmt.Fprintln(stderr, prog+":", err)
	return 1
}

// Subcommand picks a group's subcommand ("prog tasks import"; with no
// group, the program's own: "prog scan"): -h lists them, an unknown one is
// a usage error.
func Subcommand(prog, group string, args []string, subs map[string]string, stdout, stderr io.Writer) (string, []string, error) {
	full := strings.TrimSpace(prog + " " + group)
	prefix := "" // errors say the group, as the program's name goes before them
	if group != "" {
		prefix = group + ": "
	}
	list := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: %s SUBCOMMAND [flags]\n\nSubcommands:\n", full)
		names := make([]string, 0, len(subs))
		for n := range subs {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "  %-10s %s\n", n, subs[n])
		}
		fmt.Fprintf(w, "\nRun \"%s SUBCOMMAND -h\" for its flags.\n", full)
	}
	if len(args) == 0 {
		list(stderr)
		return "", nil, Usagef("%swant a subcommand", prefix)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		list(stdout)
		return "", nil, flag.ErrHelp
	}
	if _, ok := subs[args[0]]; !ok {
		list(stderr)
		return "", nil, Usagef("%sunknown subcommand %q", prefix, args[0])
	}
	return args[0], args[1:], nil
}
