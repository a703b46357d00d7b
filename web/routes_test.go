package web

import (
	"os"
	"strings"
	"testing"
)

// TestEveryRouteIsDocumented keeps docs/web-api.md honest: every route of
// the handler table is named there as `METHOD /path`.
func TestEveryRouteIsDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/web-api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	s := New(Options{})
	for _, rt := range s.Routes() {
		path := strings.TrimSuffix(rt.Path(), "{$}")
		if !strings.Contains(doc, "`"+rt.Method()+" "+path) {
			t.Errorf("docs/web-api.md does not name `%s %s`", rt.Method(), path)
		}
	}
}
