package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/internal/cmdline"
)

func wavesCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := cmdline.Subcommand(prog, "waves", args, map[string]string{
		"list":    "list the waves: held, released and the latest completed",
		"release": "release a held wave: its tasks go to the pickers",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		fs := newFlags("waves list", "", "List the running gateway's waves: open ones first (held, then released), then the completed.", stdout, stderr)
		t := targetFlags(fs)
		if err := fs.ParseArgs(args, 0); err != nil {
			return err
		}
		return t.withClient(ctx, func(c *client.Client) error {
			var waves []floorgate.Wave
			if err := c.Get(ctx, "/api/v1/waves", &waves); err != nil {
				return fmt.Errorf("waves list: %w", err)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WAVE\tSTATUS\tPRIORITY\tTASKS\tOPEN\tCUT-OFF\tRELEASED")
			for _, w := range waves {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", w.ID, w.Status, w.Priority, w.Tasks, w.Open(),
					when(w.CutOff), released(w))
			}
			return tw.Flush()
		})
	case "release":
		fs := newFlags("waves release", "ID", "Release a held wave: its tasks go to the pickers ahead of lower-priority waves, and wave.released goes upstream.", stdout, stderr)
		t := targetFlags(fs)
		if err := fs.ParseArgs(args, 1); err != nil {
			return err
		}
		return t.withClient(ctx, func(c *client.Client) error {
			var w floorgate.Wave
			if err := c.Post(ctx, "/api/v1/waves/"+url.PathEscape(fs.Arg(0))+"/release", nil, &w); err != nil {
				return fmt.Errorf("waves release %s: %w", fs.Arg(0), err)
			}
			fmt.Fprintf(stdout, "wave %s released: %d tasks\n", w.ID, w.Tasks)
			return nil
		})
	}
	return nil
}

// when is a time for a table: local and to the minute, "-" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// released says when and how a wave was released, "-" while held.
func released(w floorgate.Wave) string {
	if w.ReleasedAt.IsZero() {
		return "-"
	}
	by := w.ReleasedBy
	if w.ReleasedActor != "" {
		by += " " + w.ReleasedActor
	}
	return when(w.ReleasedAt) + " by " + by
}
