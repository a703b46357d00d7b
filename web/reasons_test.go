package web

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

// TestPDAReasonTexts: the PDA app lists every exception reason with the
// gateway's own zh/en text, so a picker reads on the PDA what the
// supervisor reads on the status page.
func TestPDAReasonTexts(t *testing.T) {
	raw, err := os.ReadFile("static/pda/app.js")
	if err != nil {
		t.Fatal(err)
	}
	app := string(raw)
	for _, r := range floorgate.Reasons() {
		txt, ok := floorgate.ReasonText(r)
		if !ok {
			t.Fatalf("reason %s has no text", r)
		}
		want := fmt.Sprintf("%s: [%q, %q]", r, txt.ZH, txt.EN)
		want = strings.ReplaceAll(want, `"`, `'`)
		if !strings.Contains(app, want) {
			t.Errorf("the PDA app lacks %s", want)
		}
	}
}
