package cli

import (
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
)

// TestSimulatorPicksEveryMode runs the binary as a site admin does: waves
// list shows the demo's held peak wave, sim --mode cluster finds nothing to
// pick until it is released, waves release hands it out, and then three
// simulated pickers take carts, bind totes and put every unit; a packer
// sorts the demo's batch at its put wall; packers pack the single-item
// lane; sim --mode discrete picks single orders — every verdict the one
// the floor standard demands, deliberate mistakes included.
func TestSimulatorPicksEveryMode(t *testing.T) {
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{})
	sock := "--socket=" + m.Config.SocketPath()
	at := []string{"--addr=" + gatewaytest.WSURL(m), "--fingerprint=" + m.Fingerprint, "--pdas=3"}

	code, out, errOut := runBinary(t, nil, "waves", "list", sock)
	if code != 0 || !strings.Contains(out, gateway.DemoPeakWave) || !strings.Contains(out, "held") {
		t.Fatalf("waves list: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runBinary(t, nil, append([]string{"sim", "--mode=cluster", "--scans=50"}, at...)...)
	if code == 0 || !strings.Contains(errOut, "release a wave") {
		t.Fatalf("sim --mode cluster with the wave held: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runBinary(t, nil, "waves", "release", gateway.DemoPeakWave, sock)
	if code != 0 || !strings.Contains(out, "released") {
		t.Fatalf("waves release: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runBinary(t, nil, append([]string{"sim", "--mode=cluster", "--scans=200", "--wrong=0.05"}, at...)...)
	if code != 0 || !strings.Contains(out, "unexpected verdicts: 0") {
		t.Fatalf("sim --mode cluster: %d\n%s%s", code, out, errOut)
	}
	for _, c := range []floorgate.Code{floorgate.CodeCartStarted, floorgate.CodeToteBound, floorgate.CodeItemToTote, floorgate.CodePutOK, floorgate.CodeCartDone} {
		if !strings.Contains(out, string(c)) {
			t.Errorf("sim --mode cluster saw no %s:\n%s", c, out)
		}
	}
	// A packer sorts the demo's batch at its wall (a wrong slot now and
	// then), and packers pack the single-item lane (a wrong waybill now
	// and then).
	code, out, errOut = runBinary(t, nil, append([]string{"sim", "--mode=batch", "--scans=300", "--wrong=0.1"}, at...)...)
	if code != 0 || !strings.Contains(out, "unexpected verdicts: 0") {
		t.Fatalf("sim --mode batch: %d\n%s%s", code, out, errOut)
	}
	for _, c := range []floorgate.Code{floorgate.CodeBatchOpen, floorgate.CodeSortToSlot, floorgate.CodeSlotReady, floorgate.CodeBatchSorted} {
		if !strings.Contains(out, string(c)) {
			t.Errorf("sim --mode batch saw no %s:\n%s", c, out)
		}
	}
	code, out, errOut = runBinary(t, nil, append([]string{"sim", "--mode=single", "--pdas=2", "--scans=100", "--wrong=0.1"}, at...)...)
	if code != 0 || !strings.Contains(out, "unexpected verdicts: 0") || !strings.Contains(out, string(floorgate.CodeShipped)) {
		t.Fatalf("sim --mode single: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runBinary(t, nil, append([]string{"sim", "--mode=discrete", "--scans=40"}, at...)...)
	if code != 0 || !strings.Contains(out, "unexpected verdicts: 0") || !strings.Contains(out, "item_ok") {
		t.Fatalf("sim --mode discrete: %d\n%s%s", code, out, errOut)
	}
}
