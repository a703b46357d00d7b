package print_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	fgprint "github.com/floorgate/floorgate/print"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/store/storetest"
)

var ready = printer.State{Online: true}

type rig struct {
	t  *testing.T
	db *store.DB
}

// newRig is a real store with shipments for orders SO-1…SO-n.
func newRig(t *testing.T, n int) *rig {
	t.Helper()
	site := floorgate.Site{ID: "s", Gateway: "g", Policy: floorgate.DefaultPolicy()}
	db := storetest.Open(t, storetest.WithOptions(func(o *store.Options) { o.Site = site }))
	var ships []floorgate.Shipment
	for i := 1; i <= n; i++ {
		ships = append(ships, floorgate.Shipment{Order: fmt.Sprint("SO-", i), Carrier: "顺丰速运", Tracking: fmt.Sprintf("SF%010d", i),
			Recipient: floorgate.Party{Name: "李雷", Phone: "13800138000", Address: "广东省深圳市南山区科技园南路88号"},
			Sender:    floorgate.Party{Name: "演示仓", Phone: "075512345678", Address: "深圳市宝安区福永物流园3号库"},
			Lines:     []floorgate.ShipmentLine{{SKU: "TEA", Name: "绿茶", Qty: 1}}})
	}
	if err := db.PutShipments(context.Background(), ships); err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, db: db}
}

func (r *rig) queue(order string) string {
	r.t.Helper()
	id := "waybill:" + order
	if err := r.db.QueuePrintJob(context.Background(), floorgate.PrintJob{ID: id, Kind: "waybill", Order: order, Station: "pack-1",
		Template: "100x150", Status: floorgate.JobQueued, Created: time.Now()}); err != nil {
		r.t.Fatal(err)
	}
	return id
}

func (r *rig) job(id string) floorgate.PrintJob {
	jobs, _ := r.db.PrintJobs()
	for _, j := range jobs {
		if j.ID == id {
			return j
		}
	}
	return floorgate.PrintJob{}
}

func (r *rig) waitStatus(id, status string) floorgate.PrintJob {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j := r.job(id)
		if j.Status == status {
			return j
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("job %s is %s (%s), want %s", id, j.Status, j.Reason, status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run starts a worker with the fakes as the station's printers, in order.
func (r *rig) run(fakes ...*printertest.Fake) *fgprint.Worker {
	return r.runWith(50*time.Millisecond, fakes...)
}

// runWith is run with the idle-printer status poll every statusEvery.
func (r *rig) runWith(statusEvery time.Duration, fakes ...*printertest.Fake) *fgprint.Worker {
	r.t.Helper()
	var ps []*fgprint.Printer
	for i, f := range fakes {
		p := printer.New(fmt.Sprint("lbl-", i+1), printer.ZPL, f.Dial, printer.Options{StatusTimeout: 300 * time.Millisecond, WriteTimeout: time.Second})
		r.t.Cleanup(func() { p.Close() })
		ps = append(ps, &fgprint.Printer{Printer: p, DPI: 203, Stations: []string{"pack-1"}})
	}
	w := fgprint.New(r.db, ps, nil, nil, fgprint.Options{Poll: 20 * time.Millisecond, Backoff: 10 * time.Millisecond, MaxAttempts: 4, StatusEvery: statusEvery})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	r.t.Cleanup(func() { cancel(); <-done })
	return w
}

func TestPrintsEachJobOnce(t *testing.T) {
	r := newRig(t, 3)
	f := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	r.run(f)
	for i := 1; i <= 3; i++ {
		r.waitStatus(r.queue(fmt.Sprint("SO-", i)), floorgate.JobPrinted)
	}
	r.queue("SO-1") // asked again: the same job, still printed
	if jobs, _ := r.db.PrintJobs(); len(jobs) != 3 || r.job("waybill:SO-1").Status != floorgate.JobPrinted {
		t.Fatalf("jobs after asking twice: %+v", jobs)
	}
	if err := f.WaitLabels(3, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := f.Labels(); n != 3 || len(f.Errors()) != 0 {
		t.Fatalf("%d labels printed, framing errors %v", n, f.Errors())
	}
}

func TestPaperOutHoldsTheJobUntilItClears(t *testing.T) {
	r := newRig(t, 1)
	f := printertest.StartTCP(t, printer.ZPL, []printer.State{{Online: true, PaperOut: true}})
	w := r.run(f)
	id := r.queue("SO-1")
	j := r.waitStatus(id, floorgate.JobHeld)
	if f.Labels() != 0 || j.Reason == "" {
		t.Fatalf("held job %+v, %d labels", j, f.Labels())
	}
	if s := w.States(); len(s) != 1 || s[0].State != "paper out" {
		t.Fatalf("printer state shown: %+v", s)
	}
	f.SetState(ready)
	r.waitStatus(id, floorgate.JobPrinted)
	deadline := time.Now().Add(10 * time.Second)
	for w.States()[0].State != "ready" {
		if time.Now().After(deadline) {
			t.Fatalf("printer state after the fault cleared: %+v", w.States())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if f.Labels() != 1 {
		t.Fatalf("%d labels", f.Labels())
	}
}

func TestHeadOpenMidQueue(t *testing.T) {
	r := newRig(t, 3)
	f := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	r.run(f)
	r.waitStatus(r.queue("SO-1"), floorgate.JobPrinted)
	f.SetState(printer.State{Online: true, HeadOpen: true})
	a, b := r.queue("SO-2"), r.queue("SO-3")
	r.waitStatus(a, floorgate.JobHeld)
	r.waitStatus(b, floorgate.JobHeld)
	f.SetState(ready)
	r.waitStatus(a, floorgate.JobPrinted)
	r.waitStatus(b, floorgate.JobPrinted)
	if f.Labels() != 3 {
		t.Fatalf("%d labels for 3 jobs", f.Labels())
	}
}

func TestFailoverToTheStationsSecondPrinter(t *testing.T) {
	r := newRig(t, 2)
	off := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	off.Off() // connection refused
	stalled := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	stalled.Stall(true) // accepts, never reads
	good := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	r.run(off, stalled, good)
	j := r.waitStatus(r.queue("SO-1"), floorgate.JobPrinted)
	if j.Printer != "lbl-3" || good.Labels() != 1 || off.Labels()+stalled.Labels() != 0 {
		t.Fatalf("job %+v; labels %d %d %d", j, off.Labels(), stalled.Labels(), good.Labels())
	}
}

func TestEveryPrinterDownEndsVisiblyFailed(t *testing.T) {
	r := newRig(t, 1)
	f := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	f.Off()
	r.run(f)
	j := r.waitStatus(r.queue("SO-1"), floorgate.JobFailed)
	if j.Attempts != 4 || j.Reason == "" {
		t.Fatalf("failed job %+v", j)
	}
	evs, _ := r.db.Journal(0, 100)
	found := false
	for _, ev := range evs {
		found = found || ev.Type == floorgate.EventLabelFailed
	}
	if !found {
		t.Fatal("no label.failed event upstream")
	}
}

func TestFaultAfterTheJobIsNotPrintedTwice(t *testing.T) {
	r := newRig(t, 1)
	// Ready at the start-up poll and before the job, paper out after it.
	f := printertest.StartTCP(t, printer.ZPL, []printer.State{ready, ready, {Online: true, PaperOut: true}})
	r.runWith(time.Hour, f)
	j := r.waitStatus(r.queue("SO-1"), floorgate.JobFailed)
	if f.Labels() != 1 || j.Reason == "" {
		t.Fatalf("job %+v, %d labels", j, f.Labels())
	}
}

// TestGoneAfterTheJobIsNotPrintedTwice: the printer printed the label and
// went off before it answered the status query after it (its connection
// closed, a new one refused): the job ends failed, for the packer to
// check, and is not sent to the station's other printer, which would
// print the waybill a second time.
func TestGoneAfterTheJobIsNotPrintedTwice(t *testing.T) {
	r := newRig(t, 1)
	// Ready at the start-up poll and before the job; the query after it
	// is not answered, and the printer goes off once the label is out.
	gone := printertest.StartTCP(t, printer.ZPL, []printer.State{ready, ready, {}})
	other := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	go func() {
		if gone.WaitLabels(1, time.Minute) == nil {
			gone.Off()
		}
	}()
	r.runWith(time.Hour, gone, other)
	j := r.waitStatus(r.queue("SO-1"), floorgate.JobFailed)
	if gone.Labels() != 1 || other.Labels() != 0 || !strings.Contains(j.Reason, "after the job") {
		t.Fatalf("job %+v; labels %d on the printer that went off, %d on the other", j, gone.Labels(), other.Labels())
	}
}

// TestJobForAStationWithoutPrinterIsHeld: a label for a station no printer
// serves waits, held with a reason that says what to do, and is counted
// for the status page; it is not failed, and nothing is sent anywhere.
func TestJobForAStationWithoutPrinterIsHeld(t *testing.T) {
	r := newRig(t, 1)
	f := printertest.StartTCP(t, printer.ZPL, []printer.State{ready})
	w := r.run(f)
	id := "waybill:SO-1"
	if err := r.db.QueuePrintJob(context.Background(), floorgate.PrintJob{ID: id, Kind: "waybill", Order: "SO-1", Station: "pack-9",
		Template: "100x150", Status: floorgate.JobQueued, Created: time.Now()}); err != nil {
		t.Fatal(err)
	}
	j := r.waitStatus(id, floorgate.JobHeld)
	if j.Reason != fgprint.NoPrinterReason("pack-9") || j.Printer != "" {
		t.Fatalf("held job %+v", j)
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Unserved()["pack-9"] != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("unserved %v, want pack-9: 1", w.Unserved())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := f.Labels(); n != 0 || w.Unserved()["pack-1"] != 0 {
		t.Fatalf("%d labels printed, unserved %v", n, w.Unserved())
	}
}
