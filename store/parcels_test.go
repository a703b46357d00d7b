package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	bolt "go.etcd.io/bbolt"
)

// packerEnv is a store with a packer, pk1, logged in on device pack-1.
func packerEnv(t *testing.T) *env {
	t.Helper()
	e := staffEnv(t)
	if _, err := e.db.Hello(ctx, "pack-1", testToken("pack-1"), "test"); err != nil {
		t.Fatal(err)
	}
	if v, err := e.db.Login(ctx, "pack-1", "l", "PACK1", "2468"); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	return e
}

// shipmentJSON is a shipment of order with one unit of item Si, changed by
// extra (JSON fields to add, without braces).
func shipmentJSON(order string, i int, extra string) string {
	s := fmt.Sprintf(`{"order":%q,"carrier":"SF","tracking":"SF-%s","recipient":{"name":"Li","phone":"13800000000","address":"Shenzhen"},`+
		`"sender":{"name":"SZ-01","phone":"0755-86000000","address":"Shenzhen"},"lines":[{"sku":"S%d","qty":1}]`, order, order, i)
	if extra != "" {
		s += "," + extra
	}
	return s + "}"
}

func (e *env) putShipments(id string, ships ...string) {
	e.t.Helper()
	res := e.command(fmt.Sprintf(`{"id":%q,"type":"shipment.put","data":{"shipments":[%s]}}`, id, strings.Join(ships, ",")))
	if !res.Applied {
		e.t.Fatalf("shipment.put: %+v", res)
	}
}

func (e *env) jobs() map[string]floorgate.PrintJob {
	e.t.Helper()
	js, err := e.db.PrintJobs()
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]floorgate.PrintJob{}
	for _, j := range js {
		out[j.ID] = j
	}
	return out
}

func (e *env) held() []floorgate.HeldParcel {
	e.t.Helper()
	hs, err := e.db.HeldParcels()
	if err != nil {
		e.t.Fatal(err)
	}
	return hs
}

// eventsOf are the journal's events of type typ.
func (e *env) eventsOf(typ string) []floorgate.Event {
	var out []floorgate.Event
	for _, ev := range e.journal() {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// packSteps scans each read at pack-1 and wants its code.
func (e *env) packSteps(steps ...[2]string) {
	e.t.Helper()
	for i, s := range steps {
		if v := e.scan("pack-1", fmt.Sprintf("%s-%d-%d", s[0], i, e.clock.Now().Unix()), s[0]); v.Code != floorgate.Code(s[1]) {
			e.t.Fatalf("pack scan %s: %s, want %s", s[0], v.Code, s[1])
		}
	}
}

// TestOrderRelease: a presale parcel packs to pack_held with no waybill job
// and is listed held; its order is order_held; order.release is refused
// whole for an unknown order, an order not presale, no orders or one listed
// twice; applied, it emits order.released and queues the waybill at the
// station the parcel was packed at, once however often it is released;
// an order released before it is packed is not held.
func TestOrderRelease(t *testing.T) {
	e := packerEnv(t)
	e.putShipments("s1",
		shipmentJSON("P1", 1, `"variant":"presale"`),
		shipmentJSON("P2", 2, `"variant":"presale"`),
		shipmentJSON("N1", 3, ""))
	e.packSteps([2]string{"P1", "order_ok"}, [2]string{itemBarcode(1), "pack_held"}, [2]string{"P1", "order_held"})
	if _, ok := e.jobs()["waybill:P1"]; ok {
		t.Fatal("a held parcel's waybill was queued")
	}
	hs := e.held()
	if len(hs) != 1 || hs[0].Order != "P1" || hs[0].Station != "pack-1" || hs[0].Packer != "pk1" || hs[0].Units != 1 ||
		!hs[0].Released.IsZero() || hs[0].Status() != floorgate.ParcelHeld {
		t.Fatalf("held parcels %+v; want P1 held at pack-1", hs)
	}
	done := e.eventsOf(floorgate.EventPackCompleted)
	var rec floorgate.PackRecord
	if len(done) != 1 || json.Unmarshal(done[0].Data, &rec) != nil || !rec.Held || rec.Variant != floorgate.VariantPreSale {
		t.Fatalf("pack.completed %+v", done)
	}

	for _, c := range []struct {
		name, orders, field, why string
	}{
		{"unknown order", `["P1","NOPE"]`, "data.orders[1]", "has no shipment"},
		{"not presale", `["N1"]`, "data.orders[0]", "not a presale order"},
		{"no orders", `[]`, "data.orders", "no orders"},
		{"listed twice", `["P1","P2","P1"]`, "data.orders[2]", "listed twice"},
		{"empty name", `["P1",""]`, "data.orders[1]", "missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.journal())
			res := e.command(fmt.Sprintf(`{"id":"r-%s","type":"order.release","data":{"orders":%s}}`, c.name, c.orders))
			if res.Applied || res.Field != c.field || !strings.Contains(res.Reason, c.why) {
				t.Fatalf("%+v; want refused at %s (%s)", res, c.field, c.why)
			}
			evs := e.journal()[before:]
			if len(evs) != 1 || evs[0].Type != floorgate.EventCommandRejected {
				t.Fatalf("a refused release emitted %d events (%s…)", len(evs), evs[0].Type)
			}
			if hs := e.held(); !hs[0].Released.IsZero() {
				t.Fatal("a refused release released P1")
			}
			if _, ok := e.jobs()["waybill:P1"]; ok {
				t.Fatal("a refused release queued the waybill")
			}
		})
	}

	// P2 is released before it is packed, P1 after.
	e.clock.Add(3600e9)
	res := e.command(`{"id":"r1","type":"order.release","data":{"orders":["P1","P2"]}}`)
	if !res.Applied {
		t.Fatalf("release: %+v", res)
	}
	if typ, ans := e.lastAnswer(); typ != floorgate.EventCommandApplied || ans.Summary["released"] != 2 || ans.Summary["printing"] != 1 {
		t.Fatalf("answer %s %+v; want released 2, printing 1", typ, ans)
	}
	rel := e.eventsOf(floorgate.EventOrderReleased)
	var rr floorgate.ReleaseRecord
	if len(rel) != 1 || json.Unmarshal(rel[0].Data, &rr) != nil ||
		rr.Order != "P1" || rr.Station != "pack-1" || rr.Job != "waybill:P1" || !rr.Released.Equal(e.clock.Now()) {
		t.Fatalf("order.released %+v; want one, for P1 at pack-1", rel)
	}
	j, ok := e.jobs()["waybill:P1"]
	if !ok || j.Station != "pack-1" || j.Packer != "pk1" || j.Status != floorgate.JobQueued || j.Kind != "waybill" {
		t.Fatalf("waybill job %+v (queued %v)", j, ok)
	}
	select {
	case <-e.db.PrintWake():
	default:
		t.Error("the release queued a job without waking the printer")
	}
	if hs := e.held(); len(hs) != 1 || hs[0].Released.IsZero() || hs[0].Status() == floorgate.ParcelHeld {
		t.Fatalf("after the release: %+v (P2, not packed, is not listed)", hs)
	}

	// Released twice: applied, nothing more.
	nJobs, nRel := len(e.jobs()), len(rel)
	if res := e.command(`{"id":"r2","type":"order.release","data":{"orders":["P1"]}}`); !res.Applied {
		t.Fatalf("second release: %+v", res)
	}
	if _, ans := e.lastAnswer(); ans.Summary["printing"] != 0 || ans.Summary["released"] != 0 {
		t.Errorf("second release summary %+v; want nothing released", ans.Summary)
	}
	if len(e.jobs()) != nJobs || len(e.eventsOf(floorgate.EventOrderReleased)) != nRel {
		t.Fatal("releasing again queued another job or said released again")
	}

	// Its order opens at the waybill; the waybill ships it.
	e.packSteps([2]string{"P1", "pack_done"}, [2]string{"SF-P1", "shipped"})
	if hs := e.held(); len(hs) != 0 {
		t.Fatalf("a shipped parcel is still listed: %+v", hs)
	}
	// P2, released before, packs as any order.
	e.packSteps([2]string{"P2", "order_ok"}, [2]string{itemBarcode(2), "pack_done"})
	if _, ok := e.jobs()["waybill:P2"]; !ok {
		t.Fatal("P2, released before packing, has no waybill job")
	}
	if hs := e.held(); len(hs) != 0 {
		t.Errorf("P2, packed after its release, is listed held: %+v", hs)
	}
	if len(e.eventsOf(floorgate.EventOrderReleased)) != 1 {
		t.Error("packing a pre-released order said order.released")
	}
	e.checkGapFree()
}

// TestHeldParcelsOldestFirst: held parcels survive a restart and are listed
// oldest first.
func TestHeldParcelsOldestFirst(t *testing.T) {
	e := packerEnv(t)
	e.putShipments("s1", shipmentJSON("P3", 3, `"variant":"presale"`), shipmentJSON("P1", 1, `"variant":"presale"`))
	e.packSteps([2]string{"P3", "order_ok"}, [2]string{itemBarcode(3), "pack_held"},
		[2]string{"P1", "order_ok"}, [2]string{itemBarcode(1), "pack_held"})
	e.reopen()
	hs := e.held()
	if len(hs) != 2 || hs[0].Order != "P3" || hs[1].Order != "P1" || !hs[0].Packed.Before(hs[1].Packed) {
		t.Fatalf("held parcels %+v; want P3 then P1", hs)
	}
}

// TestPackingListJob: a parcel with instructions or extras gets its packing
// list queued at the station with the waybill; one with neither does not.
func TestPackingListJob(t *testing.T) {
	e := packerEnv(t)
	e.putShipments("s1",
		shipmentJSON("I1", 1, `"instructions":[{"text":"Fold, do not roll"}]`),
		shipmentJSON("X1", 2, `"extras":[{"kind":"insert","barcode":"CARD-1","name":"Card","qty":1}]`),
		shipmentJSON("Z1", 3, ""))
	if v := e.scan("pack-1", "i1", "I1"); v.Code != floorgate.CodeOrderOK || !reflect.DeepEqual(v.Prompt.Instructions, []string{"Fold, do not roll"}) {
		t.Fatalf("opening I1: %s, instructions %q", v.Code, v.Prompt.Instructions)
	}
	e.packSteps([2]string{itemBarcode(1), "pack_done"}, [2]string{"SF-I1", "shipped"}, [2]string{"X1", "order_ok"})
	first := e.scan("pack-1", "x1", itemBarcode(2))
	if first.Code != floorgate.CodeGiftMissing || !first.OK || !reflect.DeepEqual(first.Prompt.Extras, []string{"Card"}) {
		t.Fatalf("X1's item: %s ok=%v, extras %q; want gift_missing naming the card", first.Code, first.OK, first.Prompt.Extras)
	}
	if _, ok := e.jobs()["packing:X1"]; ok {
		t.Fatal("packing list queued before the parcel was packed")
	}
	// The same scan sent again gets the same answer, the card still named.
	if again := e.scan("pack-1", "x1", itemBarcode(2)); !reflect.DeepEqual(again, first) {
		t.Fatalf("resent scan:\n%+v\nfirst answer:\n%+v", again, first)
	}
	e.packSteps([2]string{"CARD-1", "pack_done"}, [2]string{"SF-X1", "shipped"},
		[2]string{"Z1", "order_ok"}, [2]string{itemBarcode(3), "pack_done"})
	jobs := e.jobs()
	for _, o := range []string{"I1", "X1"} {
		j, ok := jobs["packing:"+o]
		if !ok || j.Kind != "packing_list" || j.Template != "packing-list" || j.Station != "pack-1" || j.Order != o || j.Packer != "pk1" {
			t.Errorf("packing list of %s: %+v (queued %v)", o, j, ok)
		}
		if _, ok := jobs["waybill:"+o]; !ok {
			t.Errorf("no waybill for %s", o)
		}
	}
	if _, ok := jobs["packing:Z1"]; ok {
		t.Error("a packing list for a parcel with no instructions or extras")
	}
	if _, ok := jobs["waybill:Z1"]; !ok {
		t.Error("no waybill for Z1")
	}
}

// TestMigrationToHeldParcels: a schema 6 file, before held parcels, opens
// migrated to 7 with the parcels bucket, and a presale parcel is held in it.
func TestMigrationToHeldParcels(t *testing.T) {
	e := packerEnv(t)
	e.putShipments("s1", shipmentJSON("P1", 1, `"variant":"presale"`))
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(e.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketParcels, bucketTimelines, bucketExceptions} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchema, u64(6))
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	e.open()
	var schema uint64
	var bucket bool
	e.db.bolt.View(func(tx *bolt.Tx) error {
		schema = seqOf(tx.Bucket(bucketMeta).Get(keySchema))
		bucket = tx.Bucket(bucketParcels) != nil && tx.Bucket(bucketTimelines) != nil && tx.Bucket(bucketExceptions) != nil
		return nil
	})
	if schema != SchemaVersion || SchemaVersion != 9 || !bucket {
		t.Fatalf("after opening a v6 file: schema %d (build %d), parcels, timelines and exceptions buckets %v", schema, SchemaVersion, bucket)
	}
	if _, err := e.db.Login(ctx, "pack-1", "l2", "PACK1", "2468"); err != nil {
		t.Fatal(err)
	}
	e.packSteps([2]string{"P1", "order_ok"}, [2]string{itemBarcode(1), "pack_held"})
	if hs := e.held(); len(hs) != 1 || hs[0].Order != "P1" {
		t.Fatalf("held after migration: %+v", hs)
	}
}

// TestReleaseOfACancelledOrder: a presale order cancelled before it was
// picked is refused release whole: its parcel must not ship.
func TestReleaseOfACancelledOrder(t *testing.T) {
	e := packerEnv(t)
	e.putShipments("s1", shipmentJSON("P1", 1, `"variant":"presale"`), shipmentJSON("P2", 2, `"variant":"presale"`))
	if res := e.command(`{"id":"t1","type":"task.create","data":{"tasks":[{"id":"T1","order":"P2","lines":[{"location":"L2","sku":"S2","qty":1}]}]}}`); !res.Applied {
		t.Fatalf("task.create: %+v", res)
	}
	if res := e.command(`{"id":"c1","type":"task.cancel","data":{"task":"T1","reason":"customer cancelled"}}`); !res.Applied {
		t.Fatalf("task.cancel: %+v", res)
	}
	res := e.command(`{"id":"r1","type":"order.release","data":{"orders":["P1","P2"]}}`)
	if res.Applied || res.Field != "data.orders[1]" || !strings.Contains(res.Reason, "cancelled") {
		t.Fatalf("release of a cancelled order: %+v", res)
	}
	if hs := e.held(); len(hs) != 0 {
		t.Fatalf("held %+v", hs)
	}
	// P1, refused with it, was not released: packed, it is held.
	e.packSteps([2]string{"P1", "order_ok"}, [2]string{itemBarcode(1), "pack_held"})
}
