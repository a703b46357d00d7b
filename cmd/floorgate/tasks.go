package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

func tasksCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("tasks: want import or cancel")
	}
	fs := flag.NewFlagSet("tasks "+args[0], flag.ContinueOnError)
	addr := fs.String("addr", "https://127.0.0.1:8080", "the running gateway (http:// when its tls.mode is off)")
	stateDir := fs.String("state-dir", "", "open the database directly instead (the daemon must be stopped)")
	configPath := fs.String("config", "", "configuration file, with --state-dir")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "import":
		if fs.NArg() != 1 {
			return errors.New("tasks import: want one FILE")
		}
		raw, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("tasks import: %w", err)
		}
		tasks, err := decodeTasks(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("tasks import %s: %s", fs.Arg(0), floorgate.ErrorMessage(err))
		}
		if *stateDir != "" {
			added, err := importDirect(ctx, *configPath, *stateDir, tasks)
			if err != nil {
				return fmt.Errorf("tasks import %s: %s", fs.Arg(0), floorgate.ErrorMessage(err))
			}
			fmt.Fprintf(stdout, "%d tasks read, %d added\n", len(tasks), added)
			return nil
		}
		var reply struct {
			Received, Added int
		}
		if err := postJSON(ctx, strings.TrimSuffix(*addr, "/")+"/api/v1/tasks", raw, &reply); err != nil {
			return fmt.Errorf("tasks import %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "%d tasks read, %d added\n", reply.Received, reply.Added)
		return nil
	case "cancel":
		if fs.NArg() != 2 {
			return errors.New("tasks cancel: want ID and REASON")
		}
		body, _ := json.Marshal(map[string]string{"reason": fs.Arg(1)})
		if err := postJSON(ctx, strings.TrimSuffix(*addr, "/")+"/api/v1/tasks/"+fs.Arg(0)+"/cancel", body, nil); err != nil {
			return fmt.Errorf("tasks cancel %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "task %s cancelled\n", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("tasks: unknown subcommand %q", args[0])
}

// decodeTasks reads a task file: {"tasks": [...]} or a bare list. Unknown
// fields are refused, naming the record, so a typo never drops data.
func decodeTasks(r io.Reader) ([]floorgate.Task, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, floorgate.Errorf(floorgate.EINVALID, "read: %v", err)
	}
	raw = bytes.TrimSpace(raw)
	var items []json.RawMessage
	if len(raw) > 0 && raw[0] == '[' {
		err = json.Unmarshal(raw, &items)
	} else {
		var doc struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		err = dec.Decode(&doc)
		items = doc.Tasks
	}
	if err != nil {
		return nil, floorgate.Errorf(floorgate.EINVALID, "not a task file (want {\"tasks\": [...]}): %v", err)
	}
	if len(items) == 0 {
		return nil, floorgate.Errorf(floorgate.EINVALID, "tasks: the file holds no tasks")
	}
	tasks := make([]floorgate.Task, len(items))
	for i, item := range items {
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tasks[i]); err != nil {
			return nil, floorgate.Errorf(floorgate.EINVALID, "tasks[%d]: %v", i, err)
		}
	}
	return tasks, nil
}

func importDirect(ctx context.Context, configPath, stateDir string, tasks []floorgate.Task) (int, error) {
	cfg, err := LoadConfig(configPath)
	if err != nil {
		return 0, err
	}
	site, err := cfg.SiteInfo()
	if err != nil {
		return 0, err
	}
	db, err := store.Open(filepath.Join(stateDir, "floorgate.db"), store.Options{Site: site, MaxSize: cfg.Store.MaxSizeMB << 20})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return db.ImportTasks(ctx, tasks)
}

func postJSON(ctx context.Context, url string, body []byte, reply any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := gatewayClient(url, "").Do(req)
	if err != nil {
		return fmt.Errorf("gateway not reachable (is it running? --addr): %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return errors.New(e.Error)
		}
		return fmt.Errorf("gateway answered %s", resp.Status)
	}
	if reply != nil {
		return json.Unmarshal(raw, reply)
	}
	return nil
}
