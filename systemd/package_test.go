// Package systemd_test checks what a site installs: the systemd unit (with
// systemd-analyze), the Debian package `make deb` builds (with dpkg-deb),
// and the package's maintainer scripts, run by a real dpkg in a throw-away
// Debian bookworm root.
//
// The root is made once per machine with debootstrap (about a minute, 200 MB)
// and cached in $XDG_CACHE_HOME/floorgate/debootstrap-bookworm-minbase
// (~/.cache/… by default); each run copies it. Delete that directory to make
// it again. The install test needs root (chroot) and is skipped without it.
package systemd_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The two package versions the tests build: an install and an upgrade.
const (
	version1 = "0.1.0"
	version2 = "0.2.0"
)

var tmpDir string // for this process's builds; removed by TestMain

func TestMain(m *testing.M) {
	var err error
	if tmpDir, err = os.MkdirTemp("", "floorgate-package-"); err != nil {
		fmt.Fprintln(os.Stderr, "package test:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpDir)
	os.Exit(code)
}

// run runs a command and returns its combined output, failing the test on error.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestUnitVerifies(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze is missing: run make test-deps (Debian package systemd)")
	}
	unit, err := os.ReadFile("floorgate.service")
	if err != nil {
		t.Fatal(err)
	}
	const execStart = "ExecStart=/usr/bin/floorgate run --config /etc/floorgate/floorgate.yaml\n"
	if bytes.Count(unit, []byte(execStart)) != 1 {
		t.Fatalf("floorgate.service has no single line %q", execStart)
	}
	// verify refuses an ExecStart binary that does not exist: point it at a
	// real build, keep every other line.
	dir := t.TempDir()
	bin := filepath.Join(dir, "floorgate")
	run(t, "..", nil, "go", "build", "-o", bin, "./cmd/floorgate")
	local := bytes.Replace(unit, []byte("ExecStart=/usr/bin/floorgate "), []byte("ExecStart="+bin+" "), 1)
	path := filepath.Join(dir, "floorgate.service")
	if err := os.WriteFile(path, local, 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 on unknown keys and bad values, only saying so: any
	// output is a failure.
	if out := run(t, dir, nil, "systemd-analyze", "verify", path); strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify:\n%s", out)
	}
	// The sandbox as systemd scores it (0 safest, 100 unconfined); the unit
	// scores 21, so a lost hardening line shows.
	out, err := exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=25", path).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security over threshold 25: %v\n%s", err, out)
	}
	for _, want := range []string{"Type=notify", "NotifyAccess=main", "WatchdogSec=30s", "User=floorgate",
		"StateDirectory=floorgate", "DevicePolicy=closed", "CapabilityBoundingSet=\n",
		// The local administration socket's directory, closed to others.
		"RuntimeDirectory=floorgate\n", "RuntimeDirectoryMode=0750\n"} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("floorgate.service lacks %q", want)
		}
	}
}

var (
	debsOnce sync.Once
	debs     map[string]string // version → .deb path
	debsErr  error
)

// buildDebs builds the package twice with `make deb`, as version1 and
// version2, once per test process.
func buildDebs(t *testing.T) map[string]string {
	t.Helper()
	debsOnce.Do(func() {
		debs = map[string]string{}
		for _, v := range []string{version1, version2} {
			start := time.Now()
			out, err := exec.Command("make", "-C", "..", "deb", "DEB_VERSION="+v, "DEB_ARCH=amd64", "DEB_DIR="+tmpDir).CombinedOutput()
			if err != nil {
				debsErr = fmt.Errorf("make deb %s: %v\n%s", v, err, out)
				return
			}
			t.Logf("make deb %s: %s", v, time.Since(start).Round(time.Millisecond))
			debs[v] = filepath.Join(tmpDir, "floorgate_"+v+"_amd64.deb")
		}
	})
	if debsErr != nil {
		t.Fatal(debsErr)
	}
	return debs
}

// wantFiles is every file the package holds, with its mode as dpkg-deb -c
// shows it.
func wantFiles(t *testing.T) map[string]string {
	t.Helper()
	want := map[string]string{
		"/usr/bin/floorgate":                     "-rwxr-xr-x",
		"/lib/systemd/system/floorgate.service":  "-rw-r--r--",
		"/lib/udev/rules.d/60-floorgate.rules":   "-rw-r--r--",
		"/usr/lib/modules-load.d/floorgate.conf": "-rw-r--r--",
		"/etc/floorgate/floorgate.yaml":          "-rw-r-----",
		"/usr/share/doc/floorgate/README.md":     "-rw-r--r--",
	}
	for pattern, dst := range map[string]string{
		"../firmware-profiles/*.yaml": "/usr/share/floorgate/profiles/",
		"../docs/*.md":                "/usr/share/doc/floorgate/",
	} {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			t.Fatalf("glob %s: %v, %d files", pattern, err, len(files))
		}
		for _, f := range files {
			want[dst+filepath.Base(f)] = "-rw-r--r--"
		}
	}
	return want
}

func TestDebContents(t *testing.T) {
	deb := buildDebs(t)[version1]
	listing := run(t, "", nil, "dpkg-deb", "--contents", deb)
	got, dirs := map[string]string{}, map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		f := strings.Fields(line) // mode owner/group size date time ./path
		if len(f) != 6 {
			t.Fatalf("dpkg-deb -c line %q", line)
		}
		if f[1] != "root/root" {
			t.Errorf("%s is owned by %s", f[5], f[1])
		}
		path := strings.TrimPrefix(f[5], ".")
		if strings.HasPrefix(f[0], "d") {
			dirs[strings.TrimSuffix(path, "/")] = true
			continue
		}
		got[path] = f[0]
	}
	want := wantFiles(t)
	for p, mode := range want {
		if got[p] != mode {
			t.Errorf("%s: mode %q, want %q", p, got[p], mode)
		}
		for d := filepath.Dir(p); d != "/"; d = filepath.Dir(d) {
			if !dirs[d] {
				t.Errorf("no directory entry %s for %s", d, p)
			}
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected file %s", p)
		}
	}

	fields := run(t, "", nil, "dpkg-deb", "--field", deb, "Package", "Version", "Architecture", "Depends", "Recommends")
	for _, want := range []string{"Package: floorgate\n", "Version: " + version1 + "\n", "Architecture: amd64\n",
		"Depends: libusb-1.0-0, libc6 (>= 2.34)\n", "Recommends: fonts-wqy-microhei\n"} {
		if !strings.Contains(fields, want) {
			t.Errorf("control lacks %q:\n%s", want, fields)
		}
	}
	if got := run(t, "", nil, "dpkg-deb", "--info", deb, "conffiles"); got != "/etc/floorgate/floorgate.yaml\n" {
		t.Errorf("conffiles: %q", got)
	}
	info := run(t, "", nil, "dpkg-deb", "--info", deb)
	for _, script := range []string{"postinst", "prerm", "postrm"} {
		if !regexp.MustCompile(`\s\*\s+` + script + `\s`).MatchString(info) {
			t.Errorf("no executable %s in:\n%s", script, info)
		}
	}

	// The declared libc6 must cover the glibc symbols the cgo binary uses.
	extract := t.TempDir()
	run(t, "", nil, "dpkg-deb", "--extract", deb, extract)
	syms := run(t, "", nil, "objdump", "-T", filepath.Join(extract, "usr/bin/floorgate"))
	versions := regexp.MustCompile(`GLIBC_([0-9]+)\.([0-9]+)`).FindAllStringSubmatch(syms, -1)
	for _, v := range versions {
		var major, minor int
		fmt.Sscan(v[1], &major)
		fmt.Sscan(v[2], &minor)
		if major > 2 || major == 2 && minor > 34 {
			t.Errorf("the binary needs %s; raise libc6 (>= 2.34) in nfpm.yaml", v[0])
		}
	}
	if len(versions) == 0 {
		t.Error("the packaged binary has no glibc symbols: not the cgo build?")
	}
	for src, dst := range map[string]string{
		"floorgate.service":  "lib/systemd/system/floorgate.service",
		"60-floorgate.rules": "lib/udev/rules.d/60-floorgate.rules",
		"floorgate.yaml":     "etc/floorgate/floorgate.yaml",
	} {
		sameFile(t, src, filepath.Join(extract, dst))
	}
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s differs from %s", b, a)
	}
}

// debianRoot returns a minimal Debian bookworm root with libusb and adduser,
// made with debootstrap on the first call on this machine and cached.
func debianRoot(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatalf("debian root: %v", err)
	}
	dir := filepath.Join(cache, "floorgate", "debootstrap-bookworm-minbase")
	if _, err := os.Stat(filepath.Join(dir, "var/lib/dpkg/status")); err == nil {
		return dir
	}
	debootstrap, err := exec.LookPath("debootstrap")
	if err != nil {
		if debootstrap, err = exec.LookPath("/usr/sbin/debootstrap"); err != nil {
			t.Fatal("debootstrap is missing: run make test-deps (Debian package debootstrap)")
		}
	}
	mirror := os.Getenv("FLOORGATE_DEBIAN_MIRROR")
	if mirror == "" {
		mirror = "http://deb.debian.org/debian"
	}
	// Made beside the cache and renamed into place, so a failed or
	// concurrent run never leaves a half root where the next one looks.
	tmp := fmt.Sprintf("%s.tmp-%d", dir, os.Getpid())
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatalf("debian root: %v", err)
	}
	start := time.Now()
	out, err := exec.Command(debootstrap, "--variant=minbase", "--include=libusb-1.0-0,adduser",
		"bookworm", tmp, mirror).CombinedOutput()
	if err != nil {
		os.RemoveAll(tmp)
		t.Fatalf("debootstrap bookworm from %s: %v\n%s", mirror, err, out)
	}
	t.Logf("debootstrap bookworm (once per machine, cached in %s): %s", dir, time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if _, serr := os.Stat(dir); serr != nil {
			t.Fatalf("debian root: %v", err)
		}
	}
	return dir
}

// chroot is a throw-away copy of the cached root.
type chroot struct {
	t    *testing.T
	root string
	// installOutput is what the last dpkg --install printed.
	installOutput string
}

func newChroot(t *testing.T) *chroot {
	t.Helper()
	start := time.Now()
	root := filepath.Join(t.TempDir(), "root")
	run(t, "", nil, "cp", "-a", "--reflink=auto", debianRoot(t), root)
	// Keep any service from starting inside the chroot (invoke-rc.d and
	// deb-systemd-invoke ask this).
	policy := filepath.Join(root, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("copy the debian root: %s", time.Since(start).Round(time.Millisecond))
	return &chroot{t: t, root: root}
}

// run runs a command inside the root and returns its output, failing on error.
func (c *chroot) run(args ...string) string {
	c.t.Helper()
	out, err := c.try(args...)
	if err != nil {
		c.t.Fatalf("chroot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c *chroot) try(args ...string) (string, error) {
	cmd := exec.Command("chroot", append([]string{c.root}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "DEBIAN_FRONTEND=noninteractive"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// exists reports whether path (inside the root) exists, links not followed.
func (c *chroot) exists(path string) bool {
	_, err := os.Lstat(filepath.Join(c.root, path))
	return err == nil
}

// stat returns owner:group mode of a path, with the root's own names.
func (c *chroot) stat(path string) string {
	c.t.Helper()
	return strings.TrimSpace(c.run("stat", "-c", "%U:%G %a", path))
}

// install copies a .deb into the root and runs dpkg -i on it.
func (c *chroot) install(deb string) {
	c.t.Helper()
	data, err := os.ReadFile(deb)
	if err != nil {
		c.t.Fatal(err)
	}
	in := "/tmp/" + filepath.Base(deb)
	if err := os.WriteFile(filepath.Join(c.root, in), data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	out := c.run("dpkg", "--install", in)
	c.t.Logf("dpkg -i %s:\n%s", filepath.Base(deb), out)
	c.installOutput = out
}

func (c *chroot) status() string {
	c.t.Helper()
	out, err := c.try("dpkg-query", "--showformat=${Status} ${Version}", "--show", "floorgate")
	if err != nil {
		return "" // dpkg knows no such package
	}
	return strings.TrimSpace(out)
}

// TestDpkgLifecycle installs, upgrades, removes and purges the package with
// dpkg in a Debian root, checking what the maintainer scripts promise.
func TestDpkgLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: dpkg runs in a chroot")
	}
	debs := buildDebs(t)
	c := newChroot(t)
	step := time.Now()
	lap := func(what string) {
		t.Logf("%s: %s", what, time.Since(step).Round(time.Millisecond))
		step = time.Now()
	}

	c.install(debs[version1])
	lap("dpkg -i " + version1)
	if got := c.status(); got != "install ok installed "+version1 {
		t.Fatalf("after install: %q", got)
	}
	// A site with no ERP yet is told how to make its first admin.
	if !strings.Contains(c.installOutput, "sudo floorgate operators add --id admin1") {
		t.Errorf("the first install does not say how to create the first admin:\n%s", c.installOutput)
	}
	// The user: a system account with no login, home at the state directory,
	// in the device groups.
	pw := strings.Split(strings.TrimSpace(c.run("getent", "passwd", "floorgate")), ":")
	if len(pw) != 7 || pw[5] != "/var/lib/floorgate" || pw[6] != "/usr/sbin/nologin" {
		t.Errorf("passwd entry %q", pw)
	}
	var uid int
	fmt.Sscan(pw[2], &uid)
	if uid <= 0 || uid >= 1000 {
		t.Errorf("uid %d is not a system uid", uid)
	}
	groups := strings.Fields(c.run("id", "-nG", "floorgate"))
	for _, g := range []string{"floorgate", "dialout", "lp", "plugdev"} {
		if !slices.Contains(groups, g) {
			t.Errorf("floorgate is not in group %s: %v", g, groups)
		}
	}
	for path, want := range map[string]string{
		"/var/lib/floorgate":                    "floorgate:floorgate 750",
		"/etc/floorgate/floorgate.yaml":         "root:floorgate 640",
		"/usr/bin/floorgate":                    "root:root 755",
		"/lib/systemd/system/floorgate.service": "root:root 644",
		"/lib/udev/rules.d/60-floorgate.rules":  "root:root 644",
	} {
		if got := c.stat(path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	for path := range wantFiles(t) {
		if !c.exists(path) {
			t.Errorf("%s is not installed", path)
		}
	}
	if !c.exists("/etc/systemd/system/multi-user.target.wants/floorgate.service") {
		t.Error("floorgate.service is not enabled")
	}
	// The binary runs there: libusb and glibc came with the dependencies.
	if out := c.run("floorgate", "version"); !strings.HasPrefix(out, "floorgate ") {
		t.Errorf("floorgate version: %q", out)
	}
	// Run as the user, it can read its configuration.
	c.run("setpriv", "--reuid=floorgate", "--regid=floorgate", "--init-groups", "cat", "/etc/floorgate/floorgate.yaml")

	// A site's state and configuration edit, which upgrades must keep.
	db := filepath.Join(c.root, "var/lib/floorgate/floorgate.db")
	if err := os.WriteFile(db, []byte("site state"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(c.root, "etc/floorgate/floorgate.yaml")
	edited := append(readFile(t, conf), "\n# edited on site\n"...)
	if err := os.WriteFile(conf, edited, 0o640); err != nil {
		t.Fatal(err)
	}
	keptState := func(when string) {
		t.Helper()
		if got, err := os.ReadFile(db); err != nil || string(got) != "site state" {
			t.Errorf("%s: state %q, %v", when, got, err)
		}
	}
	keptConfig := func(when string) {
		t.Helper()
		if got, err := os.ReadFile(conf); err != nil || !bytes.Equal(got, edited) {
			t.Errorf("%s: the edited configuration was not kept (%v)", when, err)
		}
	}

	c.install(debs[version2])
	lap("dpkg -i " + version2 + " (upgrade)")
	if got := c.status(); got != "install ok installed "+version2 {
		t.Fatalf("after upgrade: %q", got)
	}
	keptState("upgrade")
	keptConfig("upgrade")
	if got := c.stat("/etc/floorgate/floorgate.yaml"); got != "root:floorgate 640" {
		t.Errorf("config after upgrade: %s", got)
	}
	if got := c.stat("/var/lib/floorgate"); got != "floorgate:floorgate 750" {
		t.Errorf("state dir after upgrade: %s", got)
	}

	c.run("dpkg", "--remove", "floorgate")
	lap("dpkg -r")
	if got := c.status(); got != "deinstall ok config-files "+version2 {
		t.Errorf("after remove: %q", got)
	}
	keptState("remove")
	keptConfig("remove")
	if c.exists("/usr/bin/floorgate") || c.exists("/lib/systemd/system/floorgate.service") || c.exists("/lib/udev/rules.d/60-floorgate.rules") {
		t.Error("remove left the program, the unit or the rules")
	}
	if _, err := c.try("getent", "passwd", "floorgate"); err != nil {
		t.Error("remove deleted the user; a reinstall would find its files owned by nobody")
	}

	c.run("dpkg", "--purge", "floorgate")
	lap("dpkg -P")
	if got := c.status(); got != "" && !strings.HasPrefix(got, "unknown ok not-installed") {
		t.Errorf("after purge: %q", got)
	}
	for _, p := range []string{"/var/lib/floorgate", "/etc/floorgate", "/etc/systemd/system/multi-user.target.wants/floorgate.service"} {
		if c.exists(p) {
			t.Errorf("purge left %s", p)
		}
	}
	for _, db := range []string{"passwd", "group"} {
		if out, err := c.try("getent", db, "floorgate"); err == nil {
			t.Errorf("purge left the %s entry %s", db, out)
		}
	}
	if out, _ := c.try("dpkg-statoverride", "--list"); strings.Contains(out, "floorgate") {
		t.Errorf("purge left a statoverride: %s", out)
	}
	if left := strings.Fields(c.run("sh", "-c", "grep -l floorgate /etc/group /etc/gshadow /etc/passwd /etc/shadow || true")); len(left) > 0 {
		t.Errorf("purge left floorgate in %v", left)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
