// Package gatewaytest starts real gateways for tests in other packages:
// on a test's temporary state directory and free ports, closed when the
// test ends.
package gatewaytest

import (
	"context"
	"testing"

	"github.com/floorgate/floorgate/gateway"
)

// Start starts g and closes it when the test ends.
func Start(t testing.TB, g *gateway.Gateway) *gateway.Gateway {
	t.Helper()
	if err := g.Start(context.Background()); err != nil {
		g.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}
