package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
)

// TestSingleItemLaneOverWebSocket: on the demo gateway as it ships, once
// the peak wave is released, a packer at pack-1 scans single-item orders'
// items with no parcel open: each scan packs the oldest order that waits
// for the item and its waybill — that order's, with its tracking number —
// comes out of the station's printer; the waybill's scan confirms outbound.
func TestSingleItemLaneOverWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m, lbl := startWithLabelPrinter(t, clock)
	demo := gateway.NewDemo()
	if err := gatewaytest.Local(m).Post(ctx, "/api/v1/waves/"+url.PathEscape(gateway.DemoPeakWave)+"/release", nil, nil); err != nil {
		t.Fatal(err)
	}
	tracking := map[string]string{}
	for _, s := range demo.Shipments() {
		tracking[s.Order] = s.Tracking
	}
	c, _, err := dialWS(ctx, t, m, "pack-1", daemontest.DeviceToken("pack-1"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v, err := c.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Prompt.Step != "scan_order" {
		t.Fatalf("packer: %v %+v", err, v)
	}
	n := 0
	scan := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		clock.Add(time.Second)
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("s", n), Data: data, DistanceMM: 70})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// The lane's orders in the order they are served: oldest first, one
	// each per scan of its item.
	served := map[string]bool{}
	for i, o := range demo.SinglesTasks[:6] {
		v := scan(demo.ItemBarcode[o.Lines[0].SKU])
		if v.Code != floorgate.CodePackDone || v.Prompt.Step != "scan_waybill" {
			t.Fatalf("item %d: %s %+v", i, v.Code, v.Prompt)
		}
		if want := oldestFor(demo.SinglesTasks, o.Lines[0].SKU, served); v.Prompt.Order != want {
			t.Fatalf("item %d packed %s; want %s, the oldest order waiting for it", i, v.Prompt.Order, want)
		}
		served[v.Prompt.Order] = true
		if err := lbl.WaitLabels(i+1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if jobs := lbl.Jobs(); !bytes.Contains(jobs[len(jobs)-1], []byte(tracking[v.Prompt.Order])) {
			t.Fatalf("the waybill printed for %s does not carry its tracking number %s", v.Prompt.Order, tracking[v.Prompt.Order])
		}
		if w := scan(tracking[v.Prompt.Order]); w.Code != floorgate.CodeShipped {
			t.Fatalf("its waybill: %s", w.Code)
		}
	}
	// An item no single-item order asks for packs nothing.
	lane := map[string]bool{}
	for _, o := range demo.SinglesTasks {
		lane[o.Lines[0].SKU] = true
	}
	for _, it := range demo.Master.Items {
		if !lane[it.SKU] {
			if v := scan(it.Barcodes[0]); v.Code != floorgate.CodeNoSingleOrder || v.Prompt.Step != "scan_order" {
				t.Fatalf("item %s, which no single-item order asks for: %s %+v; want no_single_order", it.SKU, v.Code, v.Prompt)
			}
			break
		}
	}
}

// oldestFor is the order of the first single-item task (the demo creates
// them oldest first) that asks for sku and is not yet served.
func oldestFor(tasks []floorgate.Task, sku string, served map[string]bool) string {
	for _, t := range tasks {
		if t.Lines[0].SKU == sku && !served[t.Order] {
			return t.Order
		}
	}
	return ""
}
