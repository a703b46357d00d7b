package floorgate_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
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
