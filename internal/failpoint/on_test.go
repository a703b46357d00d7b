//go:build failpoints

package failpoint

import "testing"

func TestParse(t *testing.T) {
	m, err := parse("a=panic, b=3*exit,c=sleep(20)")
	if err != nil {
		t.Fatal(err)
	}
	if m["a"].action != "panic" || m["b"].nth != 3 || m["b"].action != "exit" || m["c"].sleep.Milliseconds() != 20 {
		t.Fatalf("%+v %+v %+v", m["a"], m["b"], m["c"])
	}
	for _, bad := range []string{"a", "a=boom", "a=0*exit", "a=sleep(x)"} {
		if _, err := parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
