package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cmdline"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/internal/sim"
	"github.com/floorgate/floorgate/store"
)

// acceptedScans reads the scan ids (device/scan id) of the scan.accepted
// events in a database file. It opens a copy: opening checkpoints.
func acceptedScans(t *testing.T, path string, cfg gateway.Config) (map[string]bool, int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	site, err := cfg.SiteInfo()
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, store.Options{Site: site})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := db.Journal(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, ev := range evs {
		if ev.Type == floorgate.EventScanAccepted {
			var rec floorgate.ScanRecord
			if err := json.Unmarshal(ev.Data, &rec); err != nil {
				t.Fatal(err)
			}
			out[rec.Device+"/"+rec.ScanID] = true
		}
	}
	return out, len(evs)
}

// TestBackupUnderScanLoad takes "floorgate backup" from a running gateway,
// over its local socket, while four PDAs scan over WebSocket. The copy passes bbolt's consistency
// check, opens with the store, and holds every scan answered OK before
// the backup began. Restored into a fresh state dir it starts a working
// gateway; a restore over the running gateway's state is refused.
func TestBackupUnderScanLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The pickers scan as fast as verdicts come, above a person's pace.
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) { c.Devices.MaxMessagesPerS = 1 << 30 })
	demo := gateway.NewDemo()
	tasks := demo.MoreTasks(rand.New(rand.NewPCG(3, 4)), "BK-", 200, 5, 15, 1)
	for i := range tasks {
		tasks[i].Priority = 1
	}
	if err := gatewaytest.Local(m).Post(ctx, "/api/v1/tasks", map[string]any{"tasks": tasks}, nil); err != nil {
		t.Fatal(err)
	}

	var (
		mu       sync.Mutex
		accepted []string // device/scan id answered OK, in order
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for i := range 4 {
		p, err := sim.DialPicker(ctx, gatewaytest.WSURL(m), gatewaytest.Pinned(t, m), demo, fmt.Sprintf("bk-pda-%d", i), demo.Badges[i], 0, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o, err := p.Step(ctx)
				if err != nil {
					t.Errorf("%s: %v", p.Device(), err)
					return
				}
				if o.Verdict.OK {
					mu.Lock()
					accepted = append(accepted, p.Device()+"/"+o.ScanID)
					mu.Unlock()
				}
			}
		}()
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted)
	}
	deadline := time.Now().Add(60 * time.Second)
	for count() < 1500 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d scans accepted", count())
		}
		runtime.Gosched()
	}

	// The backup, while the pickers go on.
	mu.Lock()
	before := append([]string(nil), accepted...)
	mu.Unlock()
	out := filepath.Join(t.TempDir(), "backup.db")
	var stdout, stderr bytes.Buffer
	start := time.Now()
	err := dispatch(ctx, []string{"backup", "--state-dir", m.Config.StateDir, out}, &stdout, &stderr)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr.String())
	}
	during := count() - len(before)
	t.Logf("backup under load took %v, %d scans answered meanwhile:\n%s", took.Round(time.Millisecond), during, stdout.String())
	if !strings.Contains(stdout.String(), "backup of the running gateway") || !strings.Contains(stdout.String(), "consistency check: ok (0 problems)") {
		t.Fatalf("backup output:\n%s", stdout.String())
	}
	for count() < len(before)+200 {
		if time.Now().After(deadline) {
			t.Fatalf("pickers stalled after the backup: %d scans", count())
		}
		runtime.Gosched()
	}
	close(stop)
	wg.Wait()

	rep, err := store.Verify(out)
	if err != nil || rep.CheckErrors != 0 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	have, events := acceptedScans(t, out, m.Config)
	for _, id := range before {
		if !have[id] {
			t.Fatalf("scan %s was accepted before the backup but is not in it", id)
		}
	}
	t.Logf("backup: %d bytes, %d events; all %d scans accepted before it are in it", rep.Size, events, len(before))

	// Restore over the running gateway: refused, naming this process.
	stdout.Reset()
	err = dispatch(ctx, []string{"restore", "--state-dir", m.Config.StateDir, out}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "in use by a running floorgate") || !strings.Contains(err.Error(), "systemctl stop floorgate") {
		t.Fatalf("restore over a running gateway: %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("pid %d?", os.Getpid())) {
		t.Errorf("restore refusal does not name the gateway's pid %d: %v", os.Getpid(), err)
	}
	t.Logf("refused: %v", err)

	// Restore into a fresh state dir and start a gateway on it.
	fresh := t.TempDir()
	stdout.Reset()
	if err := dispatch(ctx, []string{"restore", "--state-dir", fresh, out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	t.Logf("restore:\n%s", stdout.String())
	m2 := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) { c.StateDir = fresh })
	if !strings.Contains(stdout.String(), fmt.Sprintf("step log: %d records", rep.Steps)) || rep.Steps == 0 {
		t.Fatalf("the restored file is not the backup (step log of %d records):\n%s", rep.Steps, stdout.String())
	}
	// The backup's events and the new incarnation's first, gateway.restored.
	inc := m2.DB.Incarnation()
	if got := m2.DB.LastSeq(); got != rep.LastSeq+1 || inc.FirstSeq != got || inc.RestoredSeq != rep.LastSeq ||
		!strings.Contains(stdout.String(), "new incarnation "+inc.ID) {
		t.Fatalf("restored gateway's last seq %d, incarnation %+v; the backup's last seq %d:\n%s", got, inc, rep.LastSeq, stdout.String())
	}
	p, err := sim.DialPicker(ctx, gatewaytest.WSURL(m2), gatewaytest.Pinned(t, m2), demo, "bk-pda-new", demo.Badges[5], 0, 9)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 5 {
		o, err := p.Step(ctx)
		if err != nil || !o.Expected {
			t.Fatalf("pick on the restored gateway: %v %+v", err, o.Verdict)
		}
	}
}

// TestBackupOfStoppedGateway: with no gateway running, "floorgate backup
// --state-dir" copies the file itself, read-only; "floorgate restore" puts
// a backup back and keeps the database it replaced.
func TestBackupOfStoppedGateway(t *testing.T) {
	ctx := context.Background()
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{})
	dir := m.Config.StateDir
	last := m.DB.LastSeq()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "floorgate.db")
	was, _ := os.ReadFile(dbPath)
	out := filepath.Join(t.TempDir(), "b.db")
	var stdout, stderr bytes.Buffer
	// No gateway answers on the socket: it must not be asked.
	if err := dispatch(ctx, []string{"backup", "--state-dir", dir, "--socket", filepath.Join(t.TempDir(), "nobody.sock"), out}, &stdout, &stderr); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "backup of file "+dbPath) {
		t.Fatalf("backup output:\n%s", stdout.String())
	}
	if now, _ := os.ReadFile(dbPath); !bytes.Equal(now, was) {
		t.Fatal("backup of a stopped gateway changed its database")
	}
	stdout.Reset()
	if err := dispatch(ctx, []string{"backup", "--verify", out}, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), fmt.Sprintf("…%d)", last)) {
		t.Fatalf("verify: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	if err := dispatch(ctx, []string{"restore", "--state-dir", dir, out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	kept, _ := filepath.Glob(dbPath + ".before-restore-*")
	if len(kept) != 1 || !strings.Contains(stdout.String(), "kept as "+kept[0]) {
		t.Fatalf("restore kept %v:\n%s", kept, stdout.String())
	}
	// A file that is no database is refused and changes nothing.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("floorgate"), 10000), 0o600)
	before, _ := os.ReadDir(dir)
	restored, _ := os.ReadFile(dbPath)
	if err := dispatch(ctx, []string{"restore", "--state-dir", dir, junk}, &stdout, &stderr); err == nil {
		t.Fatal("restored a file that is no database")
	}
	if after, _ := os.ReadDir(dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("state dir after a refused restore: %v, before it %v", after, before)
	}
	if now, _ := os.ReadFile(dbPath); !bytes.Equal(now, restored) {
		t.Fatal("a refused restore changed the database")
	}
}

// TestRefusedBackupsLeaveNothingBehind: a backup cut short, an empty file
// and one with a byte changed inside the operators' records are refused
// by "floorgate backup --verify" and "floorgate restore" with exit status
// 1 and a message naming the problem, and the state dir stays as it was;
// "floorgate backup" of a stopped gateway whose database is damaged
// writes no file and leaves no temporary one.
func TestRefusedBackupsLeaveNothingBehind(t *testing.T) {
	ctx := context.Background()
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{})
	dir := m.Config.StateDir
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "floorgate.db")
	nobody := filepath.Join(t.TempDir(), "nobody.sock")
	good := filepath.Join(t.TempDir(), "good.db")
	var stdout, stderr bytes.Buffer
	if err := dispatch(ctx, []string{"backup", "--state-dir", dir, "--socket", nobody, good}, &stdout, &stderr); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr.String())
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(`"badge":`)) {
		t.Fatal("the backup holds no operator")
	}
	damaged := bytes.ReplaceAll(raw, []byte(`"badge":`), []byte(`"badge";`))
	listing := func(dir string) string {
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return strings.Join(names, " ")
	}
	for _, c := range []struct {
		name string
		raw  []byte
		want string
	}{
		{"truncated", raw[:len(raw)/2+100], fmt.Sprintf("truncated: %d bytes", len(raw)/2+100)},
		{"empty", nil, "empty (0 bytes): not a floorgate backup"},
		{"a record changed", damaged, "bucket operators, key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "backup.db")
			if err := os.WriteFile(file, c.raw, 0o600); err != nil {
				t.Fatal(err)
			}
			before := listing(dir)
			was, err := os.ReadFile(dbPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"backup", "--verify", file}, {"restore", "--state-dir", dir, file}} {
				var stdout, stderr bytes.Buffer
				err := dispatch(ctx, args, &stdout, &stderr)
				if code := cmdline.ExitCode(prog, err, &stderr); code != 1 || !strings.Contains(stderr.String(), c.want) {
					t.Fatalf("%s: exit status %d, stderr:\n%s\nwant 1 and %q", args[0], code, stderr.String(), c.want)
				}
				t.Logf("%s: %s", args[0], stderr.String())
				if after := listing(dir); after != before {
					t.Fatalf("%s left the state dir as %q, it was %q", args[0], after, before)
				}
				if after := listing(filepath.Dir(file)); after != "backup.db" {
					t.Fatalf("%s left files beside the backup: %q", args[0], after)
				}
			}
			if now, _ := os.ReadFile(dbPath); !bytes.Equal(now, was) {
				t.Fatal("a refused restore changed the database")
			}
		})
	}

	// A stopped gateway's damaged database: its backup fails verification
	// and is not kept, nor is its temporary file.
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "floorgate.db"), damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	err = dispatch(ctx, []string{"backup", "--state-dir", broken, "--socket", nobody, filepath.Join(outDir, "b.db")}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "bucket operators, key") || !strings.Contains(err.Error(), "for "+filepath.Join(outDir, "b.db")+":") {
		t.Fatalf("backup of a damaged database: %v (want the problem and the backup's own name)", err)
	}
	if after := listing(outDir); after != "" {
		t.Fatalf("a failed backup left %q", after)
	}
}
