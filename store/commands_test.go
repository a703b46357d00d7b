package store

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

func (e *env) command(raw string) floorgate.CommandResult {
	e.t.Helper()
	res, err := e.db.ApplyCommand(ctx, []byte(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// lastAnswer is the last command.* event in the journal.
func (e *env) lastAnswer() (string, floorgate.CommandRecord) {
	e.t.Helper()
	evs := e.journal()
	for i := len(evs) - 1; i >= 0; i-- {
		if strings.HasPrefix(evs[i].Type, "command.") {
			var rec floorgate.CommandRecord
			json.Unmarshal(evs[i].Data, &rec)
			return evs[i].Type, rec
		}
	}
	e.t.Fatal("no command answer in the journal")
	return "", floorgate.CommandRecord{}
}

func TestCommands(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, cmd  string
		applied    bool
		field, why string
	}{
		{"create", `{"id":"c1","type":"task.create","data":{"tasks":[{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":2}]}]}}`, true, "", ""},
		{"unknown sku", `{"id":"c2","type":"task.create","data":{"tasks":[{"id":"T2","order":"O2","lines":[{"location":"L1","sku":"S1","qty":1}]},{"id":"T3","order":"O3","lines":[{"location":"L1","sku":"NOPE","qty":1}]}]}}`, false, "data.tasks[1].lines[0].sku", `unknown SKU "NOPE"`},
		{"zero qty", `{"id":"c3","type":"task.create","data":{"tasks":[{"id":"T4","order":"O4","lines":[{"location":"L1","sku":"S1","qty":0}]}]}}`, false, "data.tasks[0].lines[0].qty", "0 must be at least 1"},
		{"typo", `{"id":"c4","type":"task.create","data":{"taks":[]}}`, false, "data", `unknown field "taks"`},
		{"wrong type", `{"id":"c5","type":"task.cancel","data":{"task":7,"reason":"x"}}`, false, "data.task", "want string"},
		{"unknown type", `{"id":"c6","type":"task.explode","data":{}}`, false, "data", "unknown command type"},
		{"not json", `{"id":"c7",`, false, "", "unexpected EOF"},
		{"bad pin", `{"id":"c8","type":"master.put","data":{"operators":[{"id":"op9","name":"N","badge":"B9","pin":"12","role":"picker"}]}}`, false, "data.operators[0].pin", "4 to 12 digits"},
		{"barcode taken", `{"id":"c9","type":"master.put","data":{"items":[{"sku":"S9","name":"New","barcodes":["LOC-1"]}]}}`, false, "data.items[0].barcodes[0]", "already belongs to location L1"},
		{"master", `{"id":"c10","type":"master.put","data":{"locations":[{"code":"L9","zone":"Z","barcode":"LOC-9"}],"items":[{"sku":"S9","name":"New","barcodes":["6900000000090"]}],"operators":[{"id":"op9","name":"N","badge":"B9","pin":"4321","role":"picker"}]}}`, true, "", ""},
		{"shipment missing phone", `{"id":"c11","type":"shipment.put","data":{"shipments":[{"order":"O1","carrier":"SF","tracking":"SF1","recipient":{"name":"Li","address":"Shenzhen"}}]}}`, false, "data.shipments[0].recipient.phone", "missing"},
		{"shipment", `{"id":"c12","type":"shipment.put","data":{"shipments":[{"order":"O1","carrier":"SF","tracking":"SF1","recipient":{"name":"Li","phone":"13800000000","address":"Shenzhen"},"sender":{"name":"SZ-01","address":"Shenzhen"}}]}}`, true, "", ""},
		{"update", `{"id":"c13","type":"task.update","data":{"task":{"id":"T1","order":"O1","priority":5,"lines":[{"location":"L9","sku":"S9","qty":1}]}}}`, true, "", ""},
		{"cancel done", `{"id":"c14","type":"task.cancel","data":{"task":"NOPE","reason":"x"}}`, false, "data.task", "does not exist"},
		{"replay", `{"id":"c15","type":"events.replay","data":{"from_seq":1,"to_seq":2}}`, true, "", ""},
		{"replay past end", `{"id":"c16","type":"events.replay","data":{"from_seq":100000}}`, false, "data.from_seq", "past the last event"},
		{"replay upside down", `{"id":"c16b","type":"events.replay","data":{"from_seq":5,"to_seq":2}}`, false, "data.to_seq", "2 is before from_seq 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.db.Counts()
			res := e.command(c.cmd)
			typ, rec := e.lastAnswer()
			if res.Applied != c.applied || !strings.HasPrefix(res.Field, c.field) || !strings.Contains(res.Reason, c.why) {
				t.Fatalf("result %+v, want applied=%v field %q reason ~%q", res, c.applied, c.field, c.why)
			}
			wantType := floorgate.EventCommandRejected
			if c.applied {
				wantType = floorgate.EventCommandApplied
			}
			if typ != wantType || rec.Field != res.Field || rec.Reason != res.Reason {
				t.Fatalf("answer %s %+v, result %+v", typ, rec, res)
			}
			if !c.applied {
				after := e.db.Counts()
				if after.PendingTasks != before.PendingTasks || after.Items != before.Items || after.Operators != before.Operators {
					t.Fatalf("a refused command changed state: %+v → %+v", before, after)
				}
			}
		})
	}
	// Applied for real.
	if tk, _ := e.db.Task("T1"); tk.Priority != 5 || tk.Lines[0].SKU != "S9" {
		t.Fatalf("task after update: %+v", tk)
	}
	if s, err := e.db.Shipment("O1"); err != nil || s.Tracking != "SF1" {
		t.Fatalf("shipment: %v %+v", err, s)
	}
	if v, _ := e.db.Login(ctx, "pda-x", "l", "B9", "4321"); v.Code == floorgate.CodeBadLogin {
		// the device is not enrolled yet; enrol and try again
	}
	e.db.Hello(ctx, "pda-x", testToken("pda-x"), "m")
	if v, _ := e.db.Login(ctx, "pda-x", "l", "B9", "4321"); v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("operator from master.put cannot log in: %s", v.Code)
	}
	select {
	case r := <-e.db.Replays():
		if r.From != 1 || r.To != 2 {
			t.Fatalf("replay %+v", r)
		}
	default:
		t.Fatal("no replay queued")
	}
	// A command seen before is not applied or answered again.
	n := len(e.journal())
	res := e.command(`{"id":"c1","type":"task.create","data":{"tasks":[{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":2}]}]}}`)
	if !res.Duplicate || !res.Applied || len(e.journal()) != n {
		t.Fatalf("repeated command: %+v, %d new events", res, len(e.journal())-n)
	}
	res = e.command(`{"id":"c2","type":"task.create","data":{}}`)
	if !res.Duplicate || res.Applied || res.Field != "data.tasks[1].lines[0].sku" {
		t.Fatalf("repeated refused command: %+v", res)
	}
}

func TestAckMovesTheWatermark(t *testing.T) {
	e := newEnv(t)
	if _, err := e.db.ImportTasks(ctx, []floorgate.Task{task("T1", line("L1", "S1", 1)), task("T2", line("L2", "S2", 1)), task("T3", line("L3", "S3", 1))}); err != nil {
		t.Fatal(err)
	}
	p, _ := e.db.PendingEvents(0, 100)
	if len(p) != 3 {
		t.Fatalf("%d pending", len(p))
	}
	// Acks out of order: 3 first leaves 1 and 2 waiting.
	e.db.Ack(ctx, []uint64{3})
	if s, _ := e.db.Outbox(); s.Depth != 2 || s.FirstSeq != 1 {
		t.Fatalf("after ack 3: %+v", s)
	}
	if p, _ := e.db.PendingEvents(0, 100); len(p) != 2 || p[1].Seq != 2 {
		t.Fatalf("pending after ack 3: %+v", p)
	}
	e.db.DeadLetter(ctx, p[0], "too large")
	e.db.Ack(ctx, []uint64{2})
	if s, _ := e.db.Outbox(); s.Depth != 0 || s.DeadLetters != 1 {
		t.Fatalf("after all left: %+v", s)
	}
	// The watermark survives a restart; a retried dead letter goes again
	// and leaves the list once acknowledged.
	e.reopen()
	if p, _ := e.db.PendingEvents(0, 100); len(p) != 0 {
		t.Fatalf("pending after restart: %+v", p)
	}
	if err := e.db.RetryDeadLetter(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r, _ := e.db.RetryPending()
	if len(r) != 1 || r[0].Seq != 1 || r[0].ID == "" {
		t.Fatalf("retry pending: %+v", r)
	}
	e.db.Ack(ctx, []uint64{1})
	if d, _ := e.db.DeadLetters(); len(d) != 0 {
		t.Fatalf("dead letters after the retry got through: %+v", d)
	}
}
