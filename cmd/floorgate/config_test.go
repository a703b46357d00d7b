package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestConfigErrorsNameFileAndField(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "site:\n  idd: x\n", "line 2: field idd not found"},
		{"wrong type", "store:\n  max_size_mb: lots\n", "line 2"},
		{"bad mode", "standards:\n  distance:\n    mode: loud\n", `standards.distance.mode: "loud" is not one of reject, warn, off`},
		{"band upside down", "standards:\n  distance:\n    min_mm: 100\n    max_mm: 50\n", "standards.distance.max_mm: 50 must be above min_mm 100"},
		{"bad window", "standards:\n  duplicate_window: soon\n", `standards.duplicate_window: "soon" is not a duration`},
		{"site id with slash", "site:\n  id: a/b\n", `site.id: "a/b"`},
		{"tiny store", "store:\n  max_size_mb: 1\n", "store.max_size_mb: 1 is below the minimum of 16"},
		{"log level", "log:\n  level: loud\n", `log.level: "loud"`},
		{"broker url", "mqtt:\n  brokers: [\"http://x\"]\n", `mqtt.brokers[0]: scheme "http"`},
		{"keepalive", "mqtt:\n  keepalive: 10ms\n", `mqtt.keepalive: "10ms"`},
		{"window", "mqtt:\n  window: 0\n", "mqtt.window: 0"},
		{"half mutual tls", "mqtt:\n  brokers: [\"ssl://b:8883\"]\n  cert_file: /x.pem\n", "mqtt.cert_file and key_file"},
		{"printer dialect", "printers:\n  - {id: p1, dialect: epl, address: 'tcp://h:9100', dpi: 203, stations: [pack-1]}\n", `printers[0].dialect: "epl"`},
		{"printer dpi", "printers:\n  - {id: p1, dialect: zpl, address: 'tcp://h:9100', dpi: 600, stations: [pack-1]}\n", "printers[0].dpi: 600"},
		{"printer address", "printers:\n  - {id: p1, dialect: zpl, address: 'lpt1', dpi: 203, stations: [pack-1]}\n", "printers[0].address"},
		{"printer stations", "printers:\n  - {id: p1, dialect: zpl, address: 'tcp://h:9100', dpi: 203}\n", "printers[0].stations"},
		{"printer twice", "printers:\n  - {id: p1, dialect: zpl, address: 'tcp://h:9100', dpi: 203, stations: [a]}\n  - {id: p1, dialect: zpl, address: 'tcp://h:9101', dpi: 203, stations: [a]}\n", "printers[1].id"},
		{"missing ca", "mqtt:\n  brokers: [\"ssl://b:8883\"]\n  ca_file: /nonexistent.pem\n", "mqtt.ca_file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "floorgate.yaml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s and %q", err, path, c.want)
			}
		})
	}
}

func TestSampleConfigIsTheDefaults(t *testing.T) {
	c, err := LoadConfig("../../systemd/floorgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("the sample config differs from the defaults:\n%+v\n%+v", c, d)
	}
}

func TestDecodeTasksNamesTheRecord(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"typo in a field", `{"tasks":[{"id":"T1","order":"O","lines":[]},{"id":"T2","ordr":"O"}]}`, `tasks[1]: json: unknown field "ordr"`},
		{"wrong type", `{"tasks":[{"id":"T1","order":"O","lines":[{"location":"L","sku":"S","qty":"two"}]}]}`, "tasks[0]"},
		{"empty", `{"tasks":[]}`, "holds no tasks"},
		{"not json", `tasks:`, "not a task file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeTasks(strings.NewReader(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	ts, err := decodeTasks(strings.NewReader(`[{"id":"T1","order":"O","lines":[{"location":"L","sku":"S","qty":2}]}]`))
	if err != nil || len(ts) != 1 || ts[0].Lines[0].Qty != 2 {
		t.Fatalf("bare list: %v %+v", err, ts)
	}
}
