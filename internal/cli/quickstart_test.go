package cli

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate/internal/daemontest"
)

// TestIntegratorQuickStart runs docs/integrator-quickstart.md as written:
// its mosquitto_sub and mosquitto_pub lines, against the binary started as
// make run starts it, with the password the gateway printed.
func TestIntegratorQuickStart(t *testing.T) {
	for _, tool := range []string{"mosquitto_sub", "mosquitto_pub"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make test-deps (apt-get install mosquitto-clients)", tool)
		}
	}
	raw, err := os.ReadFile("../../docs/integrator-quickstart.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	line := func(prefix string) string {
		for _, l := range strings.Split(doc, "\n") {
			if strings.HasPrefix(l, prefix+" ") {
				return l
			}
		}
		t.Fatalf("the quick start has no %s line", prefix)
		return ""
	}
	sub, pub := line("mosquitto_sub"), line("mosquitto_pub")

	bin, err := daemontest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	brokerAddr := freeAddr(t)
	d := daemontest.SpawnDemo(t, bin, t.TempDir(), daemontest.TestConfig+"mqtt:\n  embedded_listen: "+brokerAddr+"\n", nil)
	if d.DemoUser != "demo-erp" || d.DemoPassword == "" {
		t.Fatalf("the gateway printed demo user %q, password %q", d.DemoUser, d.DemoPassword)
	}
	port := brokerAddr[strings.LastIndexByte(brokerAddr, ':')+1:]
	// The doc's example password and port become this gateway's.
	fix := func(l string) []string {
		l = strings.ReplaceAll(l, "3f9c2a71d0b84e65", d.DemoPassword)
		l = strings.ReplaceAll(l, "-p 1883", "-p "+port)
		return shellWords(t, l)
	}

	sw := fix(sub)
	subCmd := exec.Command(sw[0], append(sw[1:], "-W", "60")...)
	out, err := subCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := subCmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { subCmd.Process.Kill(); subCmd.Wait() })
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	wait := func(what string, re *regexp.Regexp) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("mosquitto_sub ended before %s", what)
				}
				if re.MatchString(l) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s", what)
			}
		}
	}
	wait("retained online status", regexp.MustCompile(`^floorgate/v1/demo/gw-1/status \{"state":"online"`))

	pw := fix(pub)
	if out, err := exec.Command(pw[0], pw[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_pub: %v\n%s", err, out)
	}
	wait("task.received for T-QS-1", regexp.MustCompile(`^floorgate/v1/demo/gw-1/events .*"type":"task.received".*"T-QS-1"`))
	wait("command.applied for qs-0001", regexp.MustCompile(`^floorgate/v1/demo/gw-1/events .*"type":"command.applied".*"qs-0001"`))
}

// shellWords splits a command line the way sh would for the quick start's
// commands: words separated by spaces, single-quoted words kept whole.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
