package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
	"github.com/floorgate/floorgate/sync/mqtttest"
)

// The ERP's user on the embedded broker in these tests.
const (
	erpUser = "erp-wms"
	erpPass = "erp-secret-0815"
)

// waybillSite is a demo gateway as `floorgate run --demo --config FILE`
// starts it (TLS with a self-signed certificate, the embedded broker),
// its configuration read from a file: pack stations pack-1 (a ZPL
// printer), pack-2 (a TSPL printer) and pack-3 (both, the ZPL one first),
// the printers fakes on real TCP sockets,
// and an ERP user on the embedded broker. The ERP talks to it over MQTT,
// the packer over a WebSocket.
type waybillSite struct {
	t     *testing.T
	m     *gateway.Gateway
	clock *floorgate.ManualClock
	demo  *gateway.Demo
	zpl   *printertest.Fake
	tspl  *printertest.Fake
	erp   *mqtttest.Probe

	shipments int // made by sfShipment, numbering their tracking

	mu     sync.Mutex
	events []floorgate.Event
	more   chan struct{} // closed and replaced when an event arrives
}

// siteConfig writes yaml to a file only its owner reads (it holds a
// broker password) and loads it as floorgate run does.
func siteConfig(t *testing.T, yaml string) gateway.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "floorgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := gateway.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	// As run.go's --state-dir and --listen, on free ports.
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	return cfg
}

const brokerUsers = "mqtt:\n  embedded:\n    users:\n      - {name: " + erpUser + ", password: \"" + erpPass + "\", role: erp}\n"

func startWaybillSite(t *testing.T) *waybillSite {
	t.Helper()
	s := &waybillSite{t: t, demo: gateway.NewDemo(), more: make(chan struct{}),
		clock: floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)),
		zpl:   printertest.StartTCP(t, printer.ZPL, nil),
		tspl:  printertest.StartTCP(t, printer.TSPL, nil)}
	cfg := siteConfig(t, daemontest.TestConfig+brokerUsers+fmt.Sprintf(`stations: [pack-1, pack-2, pack-3]
printers:
  - {id: zpl-1, dialect: zpl, address: "tcp://%s", dpi: 203, stations: [pack-1, pack-3]}
  - {id: tspl-1, dialect: tspl, address: "tcp://%s", dpi: 203, stations: [pack-2, pack-3]}
labels:
  media: 100x180
  lang: zh
  stations:
    pack-1:
      templates: {SF: sf-100x180}
`, s.zpl.Addr(), s.tspl.Addr()))
	s.m = gatewaytest.Start(t, &gateway.Gateway{Config: cfg, Demo: true, DemoPrinter: true, Clock: s.clock})
	if s.m.Fingerprint == "" {
		t.Fatal("the gateway serves plain HTTP; make run serves TLS")
	}
	s.erp = dialERP(t, s.m)
	s.listen()
	return s
}

// listen collects the events the ERP receives on the site's event topic
// from now on. It first waits for the demo's start-up events to have left
// the outbox: the probe drops what it cannot buffer, and a burst of them
// must not crowd out the answers the test waits for.
func (s *waybillSite) listen() {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ob, err := s.m.DB.Outbox()
		if err != nil {
			s.t.Fatal(err)
		}
		if ob.Depth == 0 {
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the outbox still holds %d events", ob.Depth)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, msgs, err := s.erp.Subscribe("floorgate/v1/demo/+/events")
	if err != nil {
		s.t.Fatal(err)
	}
	go func() {
		for msg := range msgs {
			var evs []floorgate.Event
			p := bytes.TrimSpace(msg.Payload())
			if len(p) > 0 && p[0] == '[' {
				json.Unmarshal(p, &evs)
			} else {
				var ev floorgate.Event
				if json.Unmarshal(p, &ev) == nil {
					evs = append(evs, ev)
				}
			}
			s.mu.Lock()
			s.events = append(s.events, evs...)
			close(s.more)
			s.more = make(chan struct{})
			s.mu.Unlock()
		}
	}()
}

// dialERP connects to m's embedded broker as the ERP.
func dialERP(t *testing.T, m *gateway.Gateway) *mqtttest.Probe {
	t.Helper()
	erp, err := mqtttest.Dial(m.Broker.URL(), fmt.Sprintf("erp-%d", time.Now().UnixNano()), erpUser, erpPass)
	if err != nil {
		t.Fatalf("the ERP on the embedded broker: %v", err)
	}
	t.Cleanup(erp.Close)
	return erp
}

// waitEvent waits until the ERP has received an event that ok accepts.
func (s *waybillSite) waitEvent(what string, ok func(floorgate.Event) bool) floorgate.Event {
	s.t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for seen := 0; ; {
		s.mu.Lock()
		evs, more := s.events[seen:], s.more
		seen = len(s.events)
		s.mu.Unlock()
		for _, ev := range evs {
			if ok(ev) {
				return ev
			}
		}
		select {
		case <-more:
		case <-deadline.C:
			s.t.Fatalf("the ERP never received %s", what)
			return floorgate.Event{}
		}
	}
}

// command sends a command as the ERP does, on the site's command topic,
// and waits for its answer among the events: command.applied or
// command.rejected, naming its id.
func (s *waybillSite) command(id, typ string, data any) (string, floorgate.CommandRecord) {
	s.t.Helper()
	return erpCommand(s.t, s.erp, id, typ, data, s.waitEvent)
}

func erpCommand(t *testing.T, erp *mqtttest.Probe, id, typ string, data any, wait func(string, func(floorgate.Event) bool) floorgate.Event) (string, floorgate.CommandRecord) {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := json.Marshal(floorgate.Command{ID: id, Type: typ, Time: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), Data: raw})
	if err := erp.Publish("floorgate/v1/demo/gw-1/commands", cmd); err != nil {
		t.Fatal(err)
	}
	var rec floorgate.CommandRecord
	ev := wait("the answer to command "+id, func(ev floorgate.Event) bool {
		if ev.Type != floorgate.EventCommandApplied && ev.Type != floorgate.EventCommandRejected {
			return false
		}
		var r floorgate.CommandRecord
		if json.Unmarshal(ev.Data, &r) != nil || r.CommandID != id {
			return false
		}
		rec = r
		return true
	})
	return ev.Type, rec
}

// put stores shipments through shipment.put and wants them applied.
func (s *waybillSite) put(id string, ships ...floorgate.Shipment) {
	s.t.Helper()
	if typ, rec := s.command(id, floorgate.CommandShipmentPut, map[string]any{"shipments": ships}); typ != floorgate.EventCommandApplied {
		s.t.Fatalf("shipment.put %s: %s %+v", id, typ, rec)
	}
}

// jobs is the print queue as the admin API serves it.
func (s *waybillSite) jobs() map[string]floorgate.PrintJob {
	s.t.Helper()
	var list []floorgate.PrintJob
	if err := gatewaytest.Local(s.m).Get(context.Background(), "/api/v1/printjobs", &list); err != nil {
		s.t.Fatal(err)
	}
	out := map[string]floorgate.PrintJob{}
	for _, j := range list {
		out[j.ID] = j
	}
	return out
}

// packPDA is a packer's PDA over a WebSocket at station.
type packPDA struct {
	s *waybillSite
	c *wsclient.Client
	n int
}

func (s *waybillSite) packer(ctx context.Context, device, station string, badge int) *packPDA {
	s.t.Helper()
	c, _, err := dialWS(ctx, s.t, s.m, device, daemontest.DeviceToken(device), "CT40")
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	if err := c.SetStation(ctx, "st", station); err != nil {
		s.t.Fatal(err)
	}
	if v, err := c.Login(ctx, "l", s.demo.PackerBadges[badge], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		s.t.Fatalf("packer login: %v %+v", err, v)
	}
	return &packPDA{s: s, c: c}
}

func (p *packPDA) scan(ctx context.Context, data string) floorgate.Verdict {
	p.s.t.Helper()
	p.n++
	p.s.clock.Add(time.Second)
	v, err := p.c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint(p.c.Device(), "-", p.n), Data: data, DistanceMM: 70})
	if err != nil {
		p.s.t.Fatal(err)
	}
	return v
}

// want scans data and wants code.
func (p *packPDA) want(ctx context.Context, data string, code floorgate.Code) floorgate.Verdict {
	p.s.t.Helper()
	v := p.scan(ctx, data)
	if v.Code != code {
		p.s.t.Fatalf("scan %s: %s (%s), want %s", data, v.Code, v.Message.EN, code)
	}
	return v
}

// sfShipment is a shipment the SF template prints: sort code, service and
// a sender with a phone, of one unit of each of the demo items numbered.
func (s *waybillSite) sfShipment(order string, items ...int) floorgate.Shipment {
	s.shipments++
	sh := floorgate.Shipment{Order: order, Carrier: "SF", Service: "顺丰标快", Tracking: fmt.Sprintf("SF%012d", 700000000000+s.shipments),
		SortCode: "755W-571-00", CollectionPoint: "深圳集散中心",
		Recipient: floorgate.Party{Name: "李雷", Phone: "13800138000", Address: "广东省深圳市南山区科技园路1号"},
		Sender:    floorgate.Party{Name: "深圳一号仓", Phone: "0755-86000000", Address: "广东省深圳市宝安区福永街道"}}
	for _, i := range items {
		sh.Lines = append(sh.Lines, floorgate.ShipmentLine{SKU: s.demo.Master.Items[i].SKU, Name: s.demo.Master.Items[i].Name, Qty: 1})
	}
	return sh
}

func (s *waybillSite) item(i int) string { return s.demo.ItemBarcode[s.demo.Master.Items[i].SKU] }

// TestWaybillVariantsEndToEnd drives the shipment variants through the
// gateway as it ships, the ERP over MQTT on the embedded broker, packers
// over WebSockets on TLS, the labels onto fake printers on real sockets.
func TestWaybillVariantsEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s := startWaybillSite(t)
	p1 := s.packer(ctx, "pda-pack-1", "pack-1", 0)

	// A presale parcel packs and is held, with no waybill, until the ERP
	// releases the order; its waybill then prints at the station it was
	// packed at, and the parcel ships.
	t.Run("presale hold and release", func(t *testing.T) {
		s.t = t
		ps := s.sfShipment("PS-1", 0, 1)
		ps.Variant = floorgate.VariantPreSale
		s.put("put-ps", ps)
		type line struct {
			Location string `json:"location"`
			SKU      string `json:"sku"`
			Qty      int    `json:"qty"`
		}
		task := map[string]any{"id": "T-PS-1", "order": "PS-1", "lines": []line{
			{s.demo.HomeLocation(ps.Lines[0].SKU), ps.Lines[0].SKU, 1}, {s.demo.HomeLocation(ps.Lines[1].SKU), ps.Lines[1].SKU, 1}}}
		if typ, rec := s.command("task-ps", floorgate.CommandTaskCreate, map[string]any{"tasks": []any{task}}); typ != floorgate.EventCommandApplied {
			t.Fatalf("task.create: %s %+v", typ, rec)
		}
		labels := s.zpl.Labels()
		p1.want(ctx, "PS-1", floorgate.CodeOrderOK)
		p1.want(ctx, s.item(0), floorgate.CodePackItemOK)
		v := p1.want(ctx, s.item(1), floorgate.CodePackHeld)
		if !v.OK || v.Prompt.Step != "scan_order" {
			t.Fatalf("pack_held: ok %v, prompt %+v; want accepted, next order", v.OK, v.Prompt)
		}
		held := s.waitEvent("PS-1's pack.completed", func(ev floorgate.Event) bool {
			var r floorgate.PackRecord
			return ev.Type == floorgate.EventPackCompleted && json.Unmarshal(ev.Data, &r) == nil && r.Order == "PS-1"
		})
		var rec floorgate.PackRecord
		json.Unmarshal(held.Data, &rec)
		if !rec.Held || rec.Variant != floorgate.VariantPreSale {
			t.Fatalf("pack.completed %+v; want held, presale", rec)
		}
		if j, ok := s.jobs()["waybill:PS-1"]; ok {
			t.Fatalf("a held parcel has a waybill job: %+v", j)
		}
		if v := p1.want(ctx, "PS-1", floorgate.CodeOrderHeld); v.OK {
			t.Fatal("order_held accepted")
		}

		if typ, rec := s.command("rel-ps", floorgate.CommandOrderRelease, map[string]any{"orders": []string{"PS-1"}}); typ != floorgate.EventCommandApplied || rec.Summary["printing"] != 1 {
			t.Fatalf("order.release: %s %+v", typ, rec)
		}
		ev := s.waitEvent("order.released", func(ev floorgate.Event) bool { return ev.Type == floorgate.EventOrderReleased })
		var rr floorgate.ReleaseRecord
		if err := json.Unmarshal(ev.Data, &rr); err != nil || rr.Order != "PS-1" || rr.Station != "pack-1" || rr.Job != "waybill:PS-1" {
			t.Fatalf("order.released %s", ev.Data)
		}
		if err := s.zpl.WaitLabels(labels+1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		jobs := s.zpl.Jobs()
		if last := jobs[len(jobs)-1]; !bytes.Contains(last, []byte(ps.Tracking)) {
			t.Fatalf("the label printed after the release does not carry %s:\n%.300s", ps.Tracking, last)
		}
		j := waitJob(t, s.m, "waybill:PS-1", func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted })
		if j.Printer != "zpl-1" || j.Station != "pack-1" || j.Template != "sf-100x180" {
			t.Fatalf("released waybill %+v; want sf-100x180 on zpl-1 at pack-1", j)
		}
		if v := p1.want(ctx, "PS-1", floorgate.CodePackDone); v.Prompt.Step != "scan_waybill" || v.Prompt.Order != "PS-1" {
			t.Fatalf("the released order: %+v", v.Prompt)
		}
		p1.want(ctx, ps.Tracking, floorgate.CodeShipped)
		shipped := s.waitEvent("PS-1's ship.confirmed", func(ev floorgate.Event) bool {
			return ev.Type == floorgate.EventShipConfirmed && bytes.Contains(ev.Data, []byte(`"PS-1"`))
		})
		var sr floorgate.PackRecord
		if err := json.Unmarshal(shipped.Data, &sr); err != nil || sr.Released.IsZero() || sr.Variant != floorgate.VariantPreSale {
			t.Fatalf("ship.confirmed %s", shipped.Data)
		}
		if sr.Units != 2 {
			t.Errorf("ship.confirmed of the released parcel says %d units; it was packed with 2", sr.Units)
		}
	})

	// A cross-border parcel prints the customs layout: its job names
	// intl-100x150, and the ZPL carries the declaration's HS code.
	t.Run("cross-border", func(t *testing.T) {
		s.t = t
		cb := s.sfShipment("CB-1", 2)
		cb.Variant, cb.WeightG = floorgate.VariantCrossBorder, 420
		cb.Recipient = floorgate.Party{Name: "John Smith", Phone: "+44 20 7946 0958", Address: "221B Baker Street, London NW1 6XE, UK"}
		cb.Customs = &floorgate.Customs{Currency: "USD", DeclaredValue: "12.50", Contents: "USB cable",
			Items: []floorgate.CustomsItem{{SKU: cb.Lines[0].SKU, Description: "USB cable", HSCode: "8544422100", Qty: 1, Value: "12.50", Origin: "CN", WeightG: 400}}}
		s.put("put-cb", cb)
		labels := s.zpl.Labels()
		p1.want(ctx, "CB-1", floorgate.CodeOrderOK)
		p1.want(ctx, s.item(2), floorgate.CodePackDone)
		if err := s.zpl.WaitLabels(labels+1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		j := waitJob(t, s.m, "waybill:CB-1", func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted })
		if api := s.jobs()["waybill:CB-1"]; j.Template != "intl-100x150" || api.Template != "intl-100x150" {
			t.Fatalf("cross-border waybill template %q (API %q); want intl-100x150, whatever pack-1 chooses for SF", j.Template, api.Template)
		}
		jobs := s.zpl.Jobs()
		last := jobs[len(jobs)-1]
		for _, want := range []string{"^FD8544422100", "^FD" + cb.Tracking, "^FDI certify"} {
			if !bytes.Contains(last, []byte(want)) {
				t.Errorf("the cross-border label has no %q", want)
			}
		}
		p1.want(ctx, cb.Tracking, floorgate.CodeShipped)
	})

	// A gift not yet in keeps the waybill back: gift_missing, accepted
	// with a warning, no job; the gift's scan packs the parcel and the
	// waybill prints, with its packing list.
	t.Run("gift missing", func(t *testing.T) {
		s.t = t
		gf := s.sfShipment("GF-1", 3)
		gf.Extras = []floorgate.PackExtra{{Kind: floorgate.ExtraGift, Barcode: "GIFT-CARD-01", Name: "新年贺卡", Qty: 1}}
		s.put("put-gf", gf)
		labels := s.zpl.Labels()
		p1.want(ctx, "GF-1", floorgate.CodeOrderOK)
		v := p1.want(ctx, s.item(3), floorgate.CodeGiftMissing)
		if !v.OK || v.Feedback.Kind != floorgate.Warn || v.Prompt.Step != "scan_pack_item" {
			t.Fatalf("gift_missing: ok %v, feedback %s, prompt %+v; want accepted with a warning", v.OK, v.Feedback.Kind, v.Prompt)
		}
		if len(v.Prompt.Extras) != 1 || v.Prompt.Extras[0] != "新年贺卡" {
			t.Errorf("gift_missing reached the PDA with prompt extras %q; want the missing gift named, [新年贺卡]", v.Prompt.Extras)
		}
		jobs := s.jobs()
		if _, ok := jobs["waybill:GF-1"]; ok {
			t.Fatal("the waybill was queued with the gift missing")
		}
		if _, ok := jobs["packing:GF-1"]; ok {
			t.Fatal("the packing list was queued with the gift missing")
		}
		if v := p1.want(ctx, "GIFT-CARD-01", floorgate.CodePackDone); v.Prompt.Step != "scan_waybill" {
			t.Fatalf("after the gift: %+v", v.Prompt)
		}
		if err := s.zpl.WaitLabels(labels+2, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"waybill:GF-1", "packing:GF-1"} {
			if j := waitJob(t, s.m, id, func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted }); j.Printer != "zpl-1" {
				t.Errorf("%s printed on %s", id, j.Printer)
			}
		}
		p1.want(ctx, gf.Tracking, floorgate.CodeShipped)
	})

	// A carrier's own label: ZPL goes to the ZPL printer byte for byte; a
	// PNG page is rasterised for the TSPL printer at its 203 dpi, held
	// while the printer is out of paper and printed once it is ready.
	t.Run("pass-through", func(t *testing.T) {
		s.t = t
		blob := []byte("^XA^CI28^FO40,40^A0N,48,48^FDCARRIER LABEL PT-Z^FS^FO40,120^BY3^BCN,160,Y,N,N^FDSFPTZ00010001^FS^XZ")
		pz := s.sfShipment("PT-Z", 4)
		pz.PrintData = &floorgate.PrintData{Format: "zpl", Data: blob, Media: "100x180"}
		page := pngPage(t, 800, 1440)
		pp := s.sfShipment("PT-P", 5)
		pp.PrintData = &floorgate.PrintData{Format: "png", Data: page, Media: "100x180"}
		s.put("put-pt", pz, pp)

		labels := s.zpl.Labels()
		p1.want(ctx, "PT-Z", floorgate.CodeOrderOK)
		p1.want(ctx, s.item(4), floorgate.CodePackDone)
		if err := s.zpl.WaitLabels(labels+1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		j := waitJob(t, s.m, "waybill:PT-Z", func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted })
		if j.Template != "carrier:zpl" || j.Printer != "zpl-1" {
			t.Fatalf("carrier ZPL job %+v", j)
		}
		jobs := s.zpl.Jobs()
		if got := jobs[len(jobs)-1]; !bytes.Equal(got, blob) {
			t.Fatalf("the ZPL printer received\n%q\nwant the carrier's label byte for byte\n%q", got, blob)
		}
		p1.want(ctx, pz.Tracking, floorgate.CodeShipped)

		// pack-2's TSPL printer is out of paper.
		s.tspl.SetState(printer.State{Online: true, PaperOut: true})
		p2 := s.packer(ctx, "pda-pack-2", "pack-2", 1)
		p2.want(ctx, "PT-P", floorgate.CodeOrderOK)
		p2.want(ctx, s.item(5), floorgate.CodePackDone)
		j = waitJob(t, s.m, "waybill:PT-P", func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobHeld })
		if !strings.Contains(j.Reason, "paper out") || j.Template != "carrier:png" {
			t.Fatalf("held page %+v; want held for paper out", j)
		}
		if n := s.tspl.Labels(); n != 0 {
			t.Fatalf("%d labels printed with no paper", n)
		}
		s.tspl.SetState(printertest.Ready)
		if err := s.tspl.WaitLabels(1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if j := waitJob(t, s.m, "waybill:PT-P", func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted }); j.Printer != "tspl-1" {
			t.Fatalf("page printed on %s", j.Printer)
		}
		var got []byte
		for _, b := range s.tspl.Jobs() {
			if bytes.Contains(b, []byte("BITMAP ")) {
				got = b
			}
		}
		// A 203 dpi head is 8 dots/mm (label.DotsPerMM).
		dpmm, err := label.DotsPerMM(203)
		if err != nil {
			t.Fatal(err)
		}
		w, h := int(math.Round(100*dpmm)), int(math.Round(180*dpmm))
		for _, want := range []string{"SIZE 100 mm,180 mm", fmt.Sprintf("BITMAP 0,0,%d,%d,0,", (w+7)/8, h)} {
			if !bytes.Contains(got, []byte(want)) {
				t.Errorf("the TSPL job has no %q (the 100x180 mm page at 203 dpi is %dx%d dots):\n%.200q", want, w, h, got)
			}
		}
		if errs := s.tspl.Errors(); len(errs) != 0 {
			t.Errorf("the TSPL printer saw framing errors: %v", errs)
		}
		p2.want(ctx, pp.Tracking, floorgate.CodeShipped)

		// A carrier's TSPL label at pack-3 passes its ZPL printer over for
		// its TSPL one; a ZPL label at pack-2, whose one printer speaks
		// TSPL, is held.
		tb := []byte("SIZE 100 mm,180 mm\r\nGAP 2 mm,0 mm\r\nCLS\r\nTEXT 40,40,\"3\",0,1,1,\"CARRIER LABEL PT-T\"\r\nPRINT 1\r\n")
		pt := s.sfShipment("PT-T", 6)
		pt.PrintData = &floorgate.PrintData{Format: "tspl", Data: tb, Media: "100x180"}
		pz2 := s.sfShipment("PT-Z2", 7)
		pz2.PrintData = &floorgate.PrintData{Format: "zpl", Data: blob, Media: "100x180"}
		s.put("put-pt2", pt, pz2)
		if err := p2.c.SetStation(ctx, "st3", "pack-3"); err != nil {
			t.Fatal(err)
		}
		zplLabels, tsplLabels := s.zpl.Labels(), s.tspl.Labels()
		p2.want(ctx, "PT-T", floorgate.CodeOrderOK)
		p2.want(ctx, s.item(6), floorgate.CodePackDone)
		if err := s.tspl.WaitLabels(tsplLabels+1, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if j := waitJob(t, s.m, "waybill:PT-T", func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted }); j.Printer != "tspl-1" || j.Station != "pack-3" {
			t.Fatalf("carrier TSPL job at pack-3 %+v; want printed on tspl-1", j)
		}
		if tj := s.tspl.Jobs(); !bytes.Equal(tj[len(tj)-1], tb) {
			t.Fatalf("the TSPL printer received\n%q\nwant\n%q", tj[len(tj)-1], tb)
		}
		p2.want(ctx, pt.Tracking, floorgate.CodeShipped)

		if err := p2.c.SetStation(ctx, "st4", "pack-2"); err != nil {
			t.Fatal(err)
		}
		p2.want(ctx, "PT-Z2", floorgate.CodeOrderOK)
		p2.want(ctx, s.item(7), floorgate.CodePackDone)
		j = waitJob(t, s.m, "waybill:PT-Z2", func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobHeld })
		if j.Station != "pack-2" || !strings.Contains(j.Reason, "zpl") {
			t.Fatalf("carrier ZPL job at a TSPL-only station %+v; want held, saying why", j)
		}
		if s.zpl.Labels() != zplLabels || s.tspl.Labels() != tsplLabels+1 {
			t.Fatalf("labels: zpl %d → %d, tspl %d → %d; the ZPL label at pack-2 must print nowhere", zplLabels, s.zpl.Labels(), tsplLabels+1, s.tspl.Labels())
		}
	})

	// The door: shipment.put is refused whole, naming the field, for what
	// no waybill here could print.
	t.Run("shipment.put refusals", func(t *testing.T) {
		s.t = t
		short := s.sfShipment("RF-1", 0)
		short.Recipient.Phone = "8600000"
		noSender := s.sfShipment("RF-2", 0)
		noSender.Sender = floorgate.Party{}
		noSort := s.sfShipment("RF-3", 0)
		noSort.SortCode = ""
		for _, c := range []struct {
			name  string
			ship  floorgate.Shipment
			field string
		}{
			{"7-digit phone", short, "data.shipments[1].recipient.phone"},
			{"no sender", noSender, "data.shipments[1].sender.name"},
			{"SF without sort code", noSort, "data.shipments[1].sort_code"},
		} {
			ok := s.sfShipment(fmt.Sprint("RF-OK-", len(c.field)), 0)
			typ, rec := s.command("put-"+c.name, floorgate.CommandShipmentPut, map[string]any{"shipments": []floorgate.Shipment{ok, c.ship}})
			if typ != floorgate.EventCommandRejected || rec.Field != c.field {
				t.Errorf("%s: %s at %q (%s); want rejected at %s", c.name, typ, rec.Field, rec.Reason, c.field)
			}
			if _, err := s.m.DB.Shipment(ok.Order); err == nil {
				t.Errorf("%s: the good shipment of a refused command was stored", c.name)
			}
		}
	})
}

// TestCarrierZPLOnATSPLSite: a site whose printers all speak TSPL refuses a
// carrier's ZPL label at the door, naming print_data.format, and takes the
// same shipment with a PNG page.
func TestCarrierZPLOnATSPLSite(t *testing.T) {
	tspl := printertest.StartTCP(t, printer.TSPL, nil)
	cfg := siteConfig(t, daemontest.TestConfig+brokerUsers+fmt.Sprintf(`stations: [pack-1]
printers:
  - {id: tspl-1, dialect: tspl, address: "tcp://%s", dpi: 203, stations: [pack-1]}
`, tspl.Addr()))
	m := gatewaytest.Start(t, &gateway.Gateway{Config: cfg, Demo: true, DemoPrinter: true,
		Clock: floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))})
	s := &waybillSite{t: t, m: m, demo: gateway.NewDemo(), more: make(chan struct{})}
	s.erp = dialERP(t, m)
	s.listen()
	sh := s.sfShipment("ZT-1", 0)
	sh.PrintData = &floorgate.PrintData{Format: "zpl", Data: []byte("^XA^FDX^FS^XZ"), Media: "100x180"}
	typ, rec := s.command("put-zpl", floorgate.CommandShipmentPut, map[string]any{"shipments": []floorgate.Shipment{sh}})
	if typ != floorgate.EventCommandRejected || rec.Field != "data.shipments[0].print_data.format" || !strings.Contains(rec.Reason, "tspl") {
		t.Fatalf("ZPL on a TSPL site: %s at %q (%s); want rejected at data.shipments[0].print_data.format", typ, rec.Field, rec.Reason)
	}
	sh.PrintData = &floorgate.PrintData{Format: "png", Data: pngPage(t, 400, 720), Media: "100x180"}
	if typ, rec := s.command("put-png", floorgate.CommandShipmentPut, map[string]any{"shipments": []floorgate.Shipment{sh}}); typ != floorgate.EventCommandApplied {
		t.Fatalf("the same shipment with a PNG page: %s %+v", typ, rec)
	}
}

// pngPage is a w×h PNG: white, with a black frame and a black block, as
// a carrier's page might be.
func pngPage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.Gray{Y: 255}
			if x < 8 || y < 8 || x >= w-8 || y >= h-8 || (x > w/4 && x < w*3/4 && y > h/4 && y < h/3) {
				c = color.Gray{Y: 0}
			}
			img.SetGray(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
