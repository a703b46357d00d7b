package gateway

import (
	"context"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
)

// TestStatusFieldsAreSnakeCase: /api/v1/status names its counts as the
// docs do (docs/web-api.md), in snake_case like every other field.
func TestStatusFieldsAreSnakeCase(t *testing.T) {
	g := startDemo(t, floorgate.SystemClock{})
	var st struct {
		Counts map[string]int `json:"counts"`
	}
	if err := client.Local(g.Config.SocketPath()).Get(context.Background(), "/api/v1/status", &st); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"locations", "items", "operators", "devices", "pending_tasks", "open_tasks", "sessions", "last_seq"} {
		if _, ok := st.Counts[k]; !ok {
			t.Errorf("counts has no %q: %v", k, st.Counts)
		}
	}
	if st.Counts["pending_tasks"] != 40 {
		t.Errorf("pending_tasks %d, want the demo's 40", st.Counts["pending_tasks"])
	}
}
