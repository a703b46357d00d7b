package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the tests, or, inside the locked-door suite's network
// namespace, is the LAN host it starts there.
func TestMain(m *testing.M) {
	if lan := os.Getenv(lanChildEnv); lan != "" {
		if err := lanChild(lan); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
