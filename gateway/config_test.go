package gateway

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
		{"printer dialect case", "printers:\n  - {id: p1, dialect: EPL2, address: 'tcp://h:9100', dpi: 203, stations: [pack-1]}\n", `printers[0].dialect: "EPL2"`},
		{"printer dpi", "printers:\n  - {id: p1, dialect: zpl, address: 'tcp://h:9100', dpi: 600, stations: [pack-1]}\n", "printers[0].dpi: 600"},
		{"printer address", "printers:\n  - {id: p1, dialect: zpl, address: 'lpt1', dpi: 203, stations: [pack-1]}\n", "printers[0].address"},
		{"printer stations", "printers:\n  - {id: p1, dialect: zpl, address: 'tcp://h:9100', dpi: 203}\n", "printers[0].stations"},
		{"station name", "stations: ['pack 1']\n", `stations[0]: "pack 1" must be a station name`},
		{"station twice", "stations: [pack-1, pack-2, pack-1]\n", `stations[2]: "pack-1" is listed twice`},
		{"printer twice", "printers:\n  - {id: p1, dialect: zpl, address: 'tcp://h:9100', dpi: 203, stations: [a]}\n  - {id: p1, dialect: zpl, address: 'tcp://h:9101', dpi: 203, stations: [a]}\n", "printers[1].id"},
		{"missing ca", "mqtt:\n  brokers: [\"ssl://b:8883\"]\n  ca_file: /nonexistent.pem\n", "mqtt.ca_file"},
		{"broker on the LAN without users", "mqtt:\n  embedded_listen: 0.0.0.0:1883\n", "mqtt.embedded_listen: 0.0.0.0:1883 is open to the network: add mqtt.embedded.users"},
		{"broker on the LAN without tls", "mqtt:\n  embedded_listen: 192.168.10.5:1883\n  embedded:\n    users: [{name: erp, password: \"$2y$11$abcdefghijklmnopqrstuv\", role: erp}]\n", "mqtt.embedded_listen: 192.168.10.5:1883 is open to the network: set mqtt.embedded.tls"},
		{"anonymous on the LAN", "mqtt:\n  embedded_listen: 192.168.10.5:1883\n  embedded:\n    allow_anonymous: true\n", "mqtt.embedded.allow_anonymous: only with a loopback embedded_listen"},
		{"broker tls without a certificate", "tls:\n  mode: \"off\"\nmqtt:\n  embedded:\n    tls: true\n", "mqtt.embedded.tls: needs the gateway's certificate"},
		{"broker user role", "mqtt:\n  embedded:\n    users: [{name: erp, password: \"$2y$11$abcdefghijklmnopqrstuv\", role: root}]\n", `mqtt.embedded.users[0].role: "root" is not one of erp, reader`},
		{"broker user password", "mqtt:\n  embedded:\n    users: [{name: erp, password: short, role: erp}]\n", "mqtt.embedded.users[0].password: missing or shorter than 8"},
		{"label stock", "labels:\n  media: A6\n", `labels.media: "A6" is not a label stock`},
		{"label language", "labels:\n  lang: fr\n", `labels.lang: "fr" is not one of zh, en`},
		{"labels for no station", "stations: [pack-1]\nlabels:\n  stations:\n    pack-9: {media: 100x150}\n", `labels.stations.pack-9: "pack-9" is not a pack station`},
		{"station label stock", "stations: [pack-1]\nlabels:\n  stations:\n    pack-1: {media: 4x6}\n", `labels.stations.pack-1.media: "4x6" is not a label stock`},
		{"leaf with brokers", "mqtt:\n  brokers: [\"tcp://b:1883\"]\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1, password: secret}\n", "mqtt.embedded.leaf: joins the embedded broker to a cluster, but mqtt.brokers is set"},
		{"leaf plain to another machine", "mqtt:\n  embedded:\n    leaf: {urls: [\"nats-leaf://hub:7422\"], username: s1, password: secret}\n", `mqtt.embedded.leaf: Leaf.URLs[0]: "nats-leaf://hub:7422" is plain text to another machine`},
		{"leaf url", "mqtt:\n  embedded:\n    leaf: {urls: [\"hub:7422\"], username: s1, password: secret}\n", `mqtt.embedded.leaf: Leaf.URLs[0]: "hub:7422" is not a URL`},
		{"leaf without password", "mqtt:\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1}\n", "mqtt.embedded.leaf: Leaf: Username and Password are needed"},
		{"leaf keep", "mqtt:\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1, password: secret, keep: 10m}\n", `mqtt.embedded.leaf: keep: "10m" is not a duration of at least 1h`},
		{"leaf domain", "mqtt:\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1, password: secret, domain: \"a.b\"}\n", `mqtt.embedded.leaf: Leaf.Domain "a.b"`},
		{"leaf domain is the hub's", "mqtt:\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1, password: secret, domain: hub}\n", `Leaf.Domain "hub" is the cluster's own domain`},
		{"leaf ca", "mqtt:\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1, password: secret, ca_file: /nonexistent.pem}\n", "mqtt.embedded.leaf: ca_file"},
		{"leaf stream", "mqtt:\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1, password: secret, stream: \"A.B\"}\n", `mqtt.embedded.leaf: stream: "A.B"`},
		{"broker user reserved", "mqtt:\n  embedded:\n    users: [{name: floorgate-gateway, password: \"$2y$11$abcdefghijklmnopqrstuv\", role: erp}]\n", "used twice or reserved"},
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

// TestConfigAcceptsEveryPrinterDialect loads a printer of each language
// package printer can talk to.
func TestConfigAcceptsEveryPrinterDialect(t *testing.T) {
	for _, d := range []string{"zpl", "tspl", "escpos", "epl2"} {
		t.Run(d, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "floorgate.yaml")
			yaml := "printers:\n  - {id: p1, dialect: " + d + ", address: 'tcp://h:9100', dpi: 203, stations: [pack-1]}\n"
			if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(path)
			if err != nil || len(c.Printers) != 1 || c.Printers[0].Dialect != d {
				t.Fatalf("LoadConfig = %+v, %v", c.Printers, err)
			}
		})
	}
}

func TestSampleConfigIsTheDefaults(t *testing.T) {
	c, err := LoadConfig("../systemd/floorgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultConfig()
	// The one difference: an installed gateway keeps its socket where
	// systemd's RuntimeDirectory= is, not in the state directory.
	if c.LocalSocket != "/run/floorgate/floorgate.sock" {
		t.Fatalf("the sample config's local_socket is %q", c.LocalSocket)
	}
	c.LocalSocket = ""
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("the sample config differs from the defaults:\n%+v\n%+v", c, d)
	}
}
