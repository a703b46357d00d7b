package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/internal/cmdline"
	"github.com/floorgate/floorgate/store"
)

func tasksCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := cmdline.Subcommand(prog, "tasks", args, map[string]string{
		"import": "import pick tasks from a JSON file, whole or not at all",
		"cancel": "cancel (intercept) a task, with a reason",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "import":
		fs := newFlags("tasks import", "FILE", "Import pick tasks from a JSON file ({\"tasks\": [...]}, docs/schemas/task-definition.json) into the running gateway; with --direct, into a stopped gateway's database.", stdout, stderr)
		t := targetFlags(fs)
		direct := fs.Bool("direct", false, "open the stopped gateway's database in --state-dir (or the config's) instead of asking the running gateway")
		if err := fs.ParseArgs(args, 1); err != nil {
			return err
		}
		raw, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("tasks import: %w", err)
		}
		tasks, err := floorgate.DecodeTasks(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("tasks import %s: %s", fs.Arg(0), floorgate.ErrorMessage(err))
		}
		if *direct {
			added, err := importDirect(ctx, *t.config, *t.stateDir, tasks)
			if err != nil {
				return fmt.Errorf("tasks import %s: %s", fs.Arg(0), floorgate.ErrorMessage(err))
			}
			fmt.Fprintf(stdout, "%d tasks read, %d added\n", len(tasks), added)
			return nil
		}
		return t.withClient(ctx, func(c *client.Client) error {
			var reply struct{ Received, Added int }
			if err := c.Post(ctx, "/api/v1/tasks", raw, &reply); err != nil {
				return fmt.Errorf("tasks import %s: %w", fs.Arg(0), err)
			}
			fmt.Fprintf(stdout, "%d tasks read, %d added\n", reply.Received, reply.Added)
			return nil
		})
	case "cancel":
		fs := newFlags("tasks cancel", "ID REASON", "Cancel (intercept) a task: picking stops at once and the PDA is told why.", stdout, stderr)
		t := targetFlags(fs)
		if err := fs.ParseArgs(args, 2); err != nil {
			return err
		}
		return t.withClient(ctx, func(c *client.Client) error {
			if err := c.Post(ctx, "/api/v1/tasks/"+url.PathEscape(fs.Arg(0))+"/cancel", map[string]string{"reason": fs.Arg(1)}, nil); err != nil {
				return fmt.Errorf("tasks cancel %s: %w", fs.Arg(0), err)
			}
			fmt.Fprintf(stdout, "task %s cancelled\n", fs.Arg(0))
			return nil
		})
	}
	return nil
}

// importDirect imports into a stopped gateway's database file.
func importDirect(ctx context.Context, configPath, stateDir string, tasks []floorgate.Task) (int, error) {
	cfg, err := loadConfig(configPath)
	if err != nil {
		return 0, err
	}
	if stateDir != "" {
		cfg.StateDir = stateDir
	}
	site, err := cfg.SiteInfo()
	if err != nil {
		return 0, err
	}
	db, err := store.Open(store.PathIn(cfg.StateDir), store.Options{Site: site, MaxSize: cfg.Store.MaxSizeMB << 20})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return db.ImportTasks(ctx, tasks)
}
