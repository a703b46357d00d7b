package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsMustBePrivate: a key or a config holding a password that other
// users can read stops start-up, saying which file and how to fix it.
func TestSecretsMustBePrivate(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "gw.key")
	os.WriteFile(key, []byte("not a real key"), 0o644)
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.TLS.Mode, c.TLS.CertFile, c.TLS.KeyFile = "files", key, key },
			"config: tls.key_file: " + key + " is readable by other users (mode 0644): run chmod 600 " + key},
		{func(c *Config) { c.MQTT.KeyFile, c.MQTT.CertFile = key, key },
			"config: mqtt.key_file: " + key + " is readable by other users (mode 0644): run chmod 600 " + key},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
		c.mod(&cfg)
		g := New(cfg)
		err := g.Start(context.Background())
		g.Close()
		if err == nil || err.Error() != c.want {
			t.Errorf("Start: %v\nwant %s", err, c.want)
		}
	}
	conf := filepath.Join(dir, "floorgate.yaml")
	os.WriteFile(conf, []byte("mqtt:\n  brokers: [\"ssl://erp.example:8883\"]\n  username: gw\n  password: s3cret\n"), 0o644)
	want := "config " + conf + ": mqtt passwords: the file is readable by every user (mode 0644): run chmod 640 " + conf
	if _, err := LoadConfig(conf); err == nil || err.Error() != want {
		t.Errorf("LoadConfig: %v\nwant %s", err, want)
	}
	os.Chmod(conf, 0o640)
	if _, err := LoadConfig(conf); err != nil {
		t.Errorf("LoadConfig of a private file: %v", err)
	}
	// The site's password on a central cluster too.
	leaf := filepath.Join(dir, "leaf.yaml")
	os.WriteFile(leaf, []byte("mqtt:\n  embedded:\n    leaf: {urls: [\"tls://hub:7422\"], username: s1, password: s3cret}\n"), 0o644)
	if _, err := LoadConfig(leaf); err == nil || !strings.Contains(err.Error(), "mqtt passwords: the file is readable by every user") {
		t.Errorf("LoadConfig of a readable leaf password: %v", err)
	}
}
