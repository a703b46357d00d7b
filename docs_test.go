package floorgate_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web"
)

// TestProtocolDocListsEveryCode keeps docs/pda-protocol.md honest: every
// verdict code is in its table with its message and tone.
func TestProtocolDocListsEveryCode(t *testing.T) {
	raw, err := os.ReadFile("docs/pda-protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, c := range floorgate.Codes() {
		v := floorgate.NewVerdict("", c, floorgate.Prompt{})
		var tones []string
		for _, tn := range v.Feedback.Tone {
			tones = append(tones, fmt.Sprintf("%d/%d", tn.Hz, tn.MS))
		}
		row := fmt.Sprintf("| `%s` | %s | %s | %s | %s |", c, map[bool]string{true: "no", false: "yes"}[v.OK], v.Feedback.Kind, v.Message.EN, strings.Join(tones, " "))
		if !strings.Contains(doc, row) {
			t.Errorf("docs/pda-protocol.md has no row starting %s", row)
		}
	}
}

// TestEveryRejectionSoundsDifferent: a picker tells the verdict by ear, so
// no two codes share a tone and vibration pattern.
func TestEveryRejectionSoundsDifferent(t *testing.T) {
	seen := map[string]floorgate.Code{}
	for _, c := range floorgate.Codes() {
		v := floorgate.NewVerdict("", c, floorgate.Prompt{})
		key := fmt.Sprint(v.Feedback.Tone, v.Feedback.Vibrate)
		if prev, dup := seen[key]; dup && !v.OK {
			t.Errorf("%s sounds like %s", c, prev)
		}
		seen[key] = c
	}
}

// TestEveryRouteIsDocumented keeps docs/web-api.md honest: every route of
// the gateway's one handler table is named there as `METHOD /path`.
func TestEveryRouteIsDocumented(t *testing.T) {
	raw, err := os.ReadFile("docs/web-api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, rt := range web.New(web.Options{}).Routes() {
		name := "`" + rt.Method() + " " + strings.TrimSuffix(rt.Path(), "{$}")
		named := false
		for _, end := range []string{"`", " ", "?", "…"} { // the path ends there
			named = named || strings.Contains(doc, name+end)
		}
		if !named {
			t.Errorf("docs/web-api.md does not name %s`", name)
		}
	}
}
