package floorgate_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// homes says which of floorgate's packages may import each outside
// dependency (by import path prefix), in the code the binary is built
// from: a dependency chosen for the field stays in the one place that
// knows it (README, Dependencies). Tests and test-support packages are
// not held to it here.
var homes = map[string][]string{
	"go.etcd.io/bbolt":                    {"store", "store/storebench"},
	"github.com/eclipse/paho.mqtt.golang": {"sync", "sync/mqtttest", "sync/syncbench"},
	"github.com/nats-io/nats.go":          {"sync"},
	"github.com/nats-io/nats-server/v2":   {"sync/broker"},
	"github.com/gorilla/websocket":        {"device/ws", "device/ws/wsbare", "device/ws/wsclient", "device/ws/wsload"},
	"go.bug.st/serial":                    {"internal/serialline"},
	"github.com/google/gousb":             {"device/usb"},
	"github.com/prometheus/client_golang": {"web"},
	"github.com/coreos/go-systemd":        {"gateway"},
	"github.com/boombuler/barcode":        {"print/label"},
	"github.com/klippa-app/go-pdfium":     {"print/label"},
	"github.com/chromedp/chromedp":        {"web/webtest"},
	"github.com/creack/pty":               {"device/serial/serialtest", "print/printer/printertest"},
	"go.yaml.in/yaml/v3":                  {"gateway", "firmware-profiles", "print/template"},
	"golang.org/x/term":                   {"internal/cli"},
	"golang.org/x/net/proxy":              {"sync"},
	"golang.org/x/sys/unix":               {"print/printer", "print/printer/printertest"},
	// The bench report's latency chart is drawn with it, in the bench
	// program, not in the daemon.
	"golang.org/x/image": {"print/label", "internal/bench"},
}

const module = "github.com/floorgate/floorgate"

// listed is one package as go list describes it.
type listed struct {
	ImportPath string
	Imports    []string
}

// misplaced names every import of pkgs that breaks homes, every outside
// module no home lists, and every import of scan/ beyond the root package
// and the standard library.
func misplaced(pkgs []listed) []string {
	var bad []string
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, module) || !strings.Contains(strings.Split(imp, "/")[0], ".") {
				if (rel == "scan" || strings.HasPrefix(rel, "scan/")) && strings.HasPrefix(imp, module+"/") && !strings.HasPrefix(imp, module+"/scan") {
					bad = append(bad, rel+" imports "+imp+": scan/ may import only the root package and the standard library")
				}
				continue
			}
			if rel == "scan" || strings.HasPrefix(rel, "scan/") {
				bad = append(bad, rel+" imports "+imp+": scan/ may import only the root package and the standard library")
				continue
			}
			home, known := "", false
			for dep, allowed := range homes {
				if imp == dep || strings.HasPrefix(imp, dep+"/") {
					known = true
					if slices.Contains(allowed, rel) {
						home = rel
					} else {
						home = strings.Join(allowed, ", ")
					}
				}
			}
			switch {
			case !known:
				bad = append(bad, rel+" imports "+imp+": an outside dependency with no home (add it to homes and the README's Dependencies)")
			case home != rel:
				bad = append(bad, rel+" imports "+imp+": only "+home+" may")
			}
		}
	}
	return bad
}

// TestDependenciesStayHome lists every package of the module and checks
// its imports against homes.
func TestDependenciesStayHome(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	for _, b := range misplaced(pkgs) {
		t.Error(b)
	}
}

// TestMisplacedImportsAreNamed: the checker names a dependency outside its
// home, an unknown one and scan/ reaching beyond the root package.
func TestMisplacedImportsAreNamed(t *testing.T) {
	got := misplaced([]listed{
		{ImportPath: module + "/web", Imports: []string{"go.etcd.io/bbolt", "net/http", module + "/store"}},
		{ImportPath: module + "/store", Imports: []string{"go.etcd.io/bbolt/errors"}},
		{ImportPath: module + "/gateway", Imports: []string{"example.com/leftpad"}},
		{ImportPath: module + "/scan", Imports: []string{module, module + "/store", "strings"}},
	})
	want := []string{
		"web imports go.etcd.io/bbolt: only store, store/storebench may",
		"gateway imports example.com/leftpad: an outside dependency with no home",
		"scan imports " + module + "/store: scan/ may import only the root package",
	}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("got %q, want %q…", got[i], want[i])
		}
	}
}
