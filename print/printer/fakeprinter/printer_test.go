package fakeprinter_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/fakeprinter"
)

// TestKeepsOnlyTheLastJobs: a simulated printer told to keep n jobs keeps
// the newest n (and as many framing errors), however many it printed, so a
// demo that runs for months holds bounded memory; every label still counts.
func TestKeepsOnlyTheLastJobs(t *testing.T) {
	const keep, total = 3, 10
	fp, err := fakeprinter.Listen("127.0.0.1:0", printer.EPL2, fakeprinter.Options{KeepJobs: keep})
	if err != nil {
		t.Fatal(err)
	}
	defer fp.Close()
	p := printer.New("demo", printer.EPL2, fp.Dial, printer.Options{StatusTimeout: time.Second})
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range total {
		// Each job also carries a framing error: a P with a bad copy count.
		if _, err := p.Print(ctx, fmt.Appendf(nil, "N\nA10,10,0,1,1,1,N,\"job %d\"\nP1,x\nP1\n", i)); err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
	}
	if fp.Labels() != total {
		t.Errorf("labels = %d, want %d", fp.Labels(), total)
	}
	jobs := fp.Jobs()
	if len(jobs) != keep {
		t.Fatalf("kept %d jobs, want %d", len(jobs), keep)
	}
	for i, j := range jobs {
		if want := fmt.Sprintf("job %d", total-keep+i); !bytes.Contains(j, []byte(want)) {
			t.Errorf("kept job %d = %q, want %q", i, j, want)
		}
	}
	if n := len(fp.Errors()); n != keep {
		t.Errorf("kept %d framing errors, want %d", n, keep)
	}
}

// TestUnknownDialect is refused, not simulated as some other printer.
func TestUnknownDialect(t *testing.T) {
	if _, err := fakeprinter.Listen("127.0.0.1:0", "epl", fakeprinter.Options{}); err == nil {
		t.Fatal("dialect epl accepted")
	}
}
