package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

// Bad input is refused at the door, whole, naming what is wrong: nothing
// half-applied, nothing accepted that fails later on the floor.

const createT1 = `{"id":"c1","type":"task.create","data":{"tasks":[{"id":"T1","order":"O1","lines":[{"location":"L1","sku":"S1","qty":1}]}]}}`

// TestCommandWithTrailingContentIsRefused: a command is one JSON value; a
// second document or garbage after it is named, and nothing of the first
// is applied.
func TestCommandWithTrailingContentIsRefused(t *testing.T) {
	cases := []struct {
		name, cmd, why string
	}{
		{"second command", createT1 + `{"id":"c2","type":"task.cancel","data":{"task":"T1","reason":"x"}}`,
			fmt.Sprintf(`trailing content after the JSON value at byte %d: "{\"id\":\"c2\",\"type\":\"task."…`, len(createT1))},
		{"garbage", createT1 + " ]x", fmt.Sprintf(`trailing content after the JSON value at byte %d: "]x"`, len(createT1)+1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.db.Counts()
			res := e.command(c.cmd)
			if res.Applied || res.Field != "" || res.Reason != c.why {
				t.Fatalf("result %+v, want refused with reason %q", res, c.why)
			}
			if typ, rec := e.lastAnswer(); typ != floorgate.EventCommandRejected || rec.Reason != c.why {
				t.Fatalf("answer %s %+v", typ, rec)
			}
			if after := e.db.Counts(); after.PendingTasks != before.PendingTasks {
				t.Fatalf("a refused command added tasks: %+v → %+v", before, after)
			}
			if tk, _ := e.db.Task("T1"); tk != nil {
				t.Fatalf("task T1 stored by a refused command: %+v", tk)
			}
		})
	}
	// The refusal names the command it could read, and white space after
	// the value is no trailing content.
	e := newEnv(t)
	if res := e.command(`{"id":"c9","type":"task.create","data":{}}x`); res.ID != "c9" || res.Type != "task.create" {
		t.Fatalf("refusal does not name the command: %+v", res)
	}
	if res := e.command(createT1 + " \r\n\t"); !res.Applied {
		t.Fatalf("a command followed by white space refused: %+v", res)
	}
}

// TestMasterWithTrailingContentIsRefused: DecodeMaster serves master.put,
// POST /api/v1/master and `floorgate master import`.
func TestMasterWithTrailingContentIsRefused(t *testing.T) {
	one := `{"items":[{"sku":"S9","name":"N","barcodes":["X9"]}]}`
	cases := []struct{ name, raw, why string }{
		{"second document", one + "\n" + `{"items":[]}`, fmt.Sprintf(`trailing content after the JSON value at byte %d: "{\"items\":[]}"`, len(one)+1)},
		{"garbage", one + ",", fmt.Sprintf(`trailing content after the JSON value at byte %d: ","`, len(one))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeMaster([]byte(c.raw))
			var fe *floorgate.FieldError
			if !errors.As(err, &fe) || fe.Field != "" || fe.Reason != c.why {
				t.Fatalf("got %v, want %q", err, c.why)
			}
		})
	}
	if m, err := DecodeMaster([]byte(one + "\n")); err != nil || len(m.Items) != 1 {
		t.Fatalf("master with a final newline: %v %+v", err, m)
	}
}

// TestBarcodesLookLikeBarcodes: a barcode no scanner can send is refused
// by master.put, naming the rule, and nothing of the set is stored.
func TestBarcodesLookLikeBarcodes(t *testing.T) {
	cases := []struct {
		name, barcode string
		applied       bool
		why           string
	}{
		{"empty", "", false, "empty"},
		{"space", " ", false, `" " is only white space`},
		{"tab and newline", "\t\n", false, `"\t\n" is only white space`},
		{"leading space", " X9", false, `" X9" starts or ends with white space`},
		{"trailing space", "X9 ", false, `"X9 " starts or ends with white space`},
		{"NUL", "X\x009", false, `"X\x009" holds the control character U+0000 at byte 1; only GS (U+001D) may appear, between GS1 elements`},
		{"carriage return", "X9\rY", false, `"X9\rY" holds the control character U+000D at byte 2; only GS (U+001D) may appear, between GS1 elements`},
		{"DEL", "X9\x7f", false, `"X9\x7f" holds the control character U+007F at byte 2; only GS (U+001D) may appear, between GS1 elements`},
		{"C1 control", "X\u00859", false, `"X\u00859" holds the control character U+0085 at byte 1; only GS (U+001D) may appear, between GS1 elements`},
		{"EAN-13, wrong check digit", "6901234567890", false, `"6901234567890" is 13 digits, so a GTIN-13, but its check digit is wrong: it ends in 0, the GS1 check digit is 2`},
		{"EAN-8, wrong check digit", "96385075", false, `"96385075" is 8 digits, so a GTIN-8, but its check digit is wrong: it ends in 5, the GS1 check digit is 4`},
		{"UPC-A, wrong check digit", "036000291453", false, `"036000291453" is 12 digits, so a GTIN-12, but its check digit is wrong: it ends in 3, the GS1 check digit is 2`},
		{"GTIN-14, wrong check digit", "15400141288764", false, `"15400141288764" is 14 digits, so a GTIN-14, but its check digit is wrong: it ends in 4, the GS1 check digit is 3`},
		{"EAN-13", "6901234567892", true, ""},
		{"EAN-8", "96385074", true, ""},
		{"UPC-A", "036000291452", true, ""},
		{"GTIN-14", "15400141288763", true, ""},
		{"digits of another length", "1234567", true, ""},
		{"GS between GS1 elements", "0109501101530003\x1d10AB", true, ""},
		{"plain code", "CTN-9 A", true, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			bc, _ := json.Marshal(c.barcode)
			// The good item first: a refusal must take the whole set back.
			cmd := fmt.Sprintf(`{"id":"m%d","type":"master.put","data":{"items":[{"sku":"S8","name":"Good","barcodes":["GOOD-8"]},{"sku":"S9","name":"N","barcodes":["X-OK",%s]}]}}`, i, bc)
			before := e.db.Counts()
			res := e.command(cmd)
			if c.applied {
				if !res.Applied {
					t.Fatalf("refused: %+v", res)
				}
				return
			}
			if res.Applied || res.Field != "data.items[1].barcodes[1]" || res.Reason != c.why {
				t.Fatalf("result %+v, want field data.items[1].barcodes[1] reason %q", res, c.why)
			}
			if after := e.db.Counts(); after.Items != before.Items {
				t.Fatalf("items %d → %d after a refused master.put", before.Items, after.Items)
			}
		})
	}
	// A location's barcode follows the same rules but the GTIN one: a
	// location code of eight digits is no EAN-8.
	e0 := newEnv(t)
	if res := e0.command(`{"id":"l0","type":"master.put","data":{"locations":[{"code":"L9","barcode":"01020304"}]}}`); !res.Applied {
		t.Fatalf("location barcode of 8 digits: %+v", res)
	}
	// A location's barcode follows the same rules.
	e := newEnv(t)
	res := e.command(`{"id":"l1","type":"master.put","data":{"locations":[{"code":"L9","barcode":"LOC 9\u0000"}]}}`)
	if res.Applied || res.Field != "data.locations[0].barcode" || !strings.Contains(res.Reason, "control character U+0000") {
		t.Fatalf("location barcode with NUL: %+v", res)
	}
}

// taskOf is a task of n lines, every one picking S1 at L1.
func taskOf(id string, n int) floorgate.Task {
	t := task(id)
	for range n {
		t.Lines = append(t.Lines, line("L1", "S1", 1))
	}
	return t
}

// TestTaskLineCap: a task longer than the site allows is refused whole by
// every door that takes tasks, naming the task and its count.
func TestTaskLineCap(t *testing.T) {
	taskJSON := func(tk floorgate.Task) string { b, _ := json.Marshal(tk); return string(b) }
	cases := []struct {
		name  string
		limit int // Options.MaxTaskLines
		lines int
		ok    bool
	}{
		{"default cap reached", 0, DefaultMaxTaskLines, true},
		{"default cap passed", 0, DefaultMaxTaskLines + 1, false},
		{"100000 lines", 0, 100000, false},
		{"configured cap reached", 3, 3, true},
		{"configured cap passed", 3, 4, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			limit := c.limit
			if limit == 0 {
				limit = DefaultMaxTaskLines
			}
			why := fmt.Sprintf("task %q has %d lines; a task may have at most %d", "BIG", c.lines, limit)
			e := newEnv(t, func(o *Options) { o.MaxTaskLines = c.limit })
			big := taskOf("BIG", c.lines)

			// ImportTasks (the file import and POST /api/v1/tasks): the
			// small task before the big one is not stored either.
			_, err := e.db.ImportTasks(ctx, []floorgate.Task{taskOf("SMALL", 1), big})
			if c.ok != (err == nil) {
				t.Fatalf("import: %v, want ok=%v", err, c.ok)
			}
			if !c.ok {
				if want := `tasks[1] (id "BIG"): lines: ` + why; floorgate.ErrorCode(err) != floorgate.EINVALID || !strings.Contains(err.Error(), want) {
					t.Fatalf("import: %v, want %q", err, want)
				}
				if n := e.db.Counts().PendingTasks; n != 0 {
					t.Fatalf("%d tasks stored by a refused import", n)
				}
			}

			// task.create.
			e = newEnv(t, func(o *Options) { o.MaxTaskLines = c.limit })
			res := e.command(`{"id":"c1","type":"task.create","data":{"tasks":[` + taskJSON(taskOf("SMALL", 1)) + `,` + taskJSON(big) + `]}}`)
			if res.Applied != c.ok {
				t.Fatalf("task.create: %+v, want applied=%v", res, c.ok)
			}
			if !c.ok && (res.Field != "data.tasks[1].lines" || res.Reason != why || e.db.Counts().PendingTasks != 0) {
				t.Fatalf("task.create: %+v, %d tasks stored; want data.tasks[1].lines %q", res, e.db.Counts().PendingTasks, why)
			}

			// task.update of a waiting task.
			e = newEnv(t, func(o *Options) { o.MaxTaskLines = c.limit })
			if _, err := e.db.ImportTasks(ctx, []floorgate.Task{taskOf("BIG", 1)}); err != nil {
				t.Fatal(err)
			}
			res = e.command(`{"id":"u1","type":"task.update","data":{"task":` + taskJSON(big) + `}}`)
			if res.Applied != c.ok {
				t.Fatalf("task.update: %+v, want applied=%v", res, c.ok)
			}
			if !c.ok {
				if res.Field != "data.task.lines" || res.Reason != why {
					t.Fatalf("task.update: %+v, want data.task.lines %q", res, why)
				}
				if tk, _ := e.db.Task("BIG"); tk == nil || len(tk.Lines) != 1 {
					t.Fatalf("task after a refused update: %+v", tk)
				}
			}
		})
	}
}

// TestShipmentCarriesWhatTheWaybillNeeds: shipment.put refuses, naming
// the field, a shipment the pack station could not print a waybill from.
func TestShipmentCarriesWhatTheWaybillNeeds(t *testing.T) {
	const (
		rcpt   = `"recipient":{"name":"张伟","phone":%q,"address":"广东省深圳市南山区科技园南路 18 号"}`
		sender = `"sender":{"name":"SZ-01 仓库","phone":%q,"address":"广东省深圳市宝安区福海街道 8 号"}`
	)
	ship := func(rphone, parties string) string {
		return `{"id":"s1","type":"shipment.put","data":{"shipments":[{"order":"O1","carrier":"SF","tracking":"SF1402357948561",` +
			fmt.Sprintf(rcpt, rphone) + parties + `}]}}`
	}
	withSender := func(phone string) string { return "," + fmt.Sprintf(sender, phone) }
	notPhone := func(p string) string {
		return fmt.Sprintf("%q is neither a mainland mobile number (11 digits, 13x to 19x) nor a fixed line with its area code (like 0755-86000000)", p)
	}
	cases := []struct {
		name, cmd, field, why string // field "" when applied
	}{
		{"no sender", ship("13800138000", ""), "data.shipments[0].sender.name", "missing (the waybill prints it)"},
		{"sender without address", ship("13800138000", `,"sender":{"name":"SZ-01"}`), "data.shipments[0].sender.address", "missing (the waybill prints it)"},
		{"blank sender name", ship("13800138000", `,"sender":{"name":" ","address":"Shenzhen"}`), "data.shipments[0].sender.name", "missing (the waybill prints it)"},
		{"phone of one digit", ship("1", withSender("")), "data.shipments[0].recipient.phone", notPhone("1")},
		{"mobile of 10 digits", ship("1380013800", withSender("")), "data.shipments[0].recipient.phone", notPhone("1380013800")},
		{"mobile starting 12", ship("12800138000", withSender("")), "data.shipments[0].recipient.phone", notPhone("12800138000")},
		{"fixed line without area code", ship("86000000", withSender("")), "data.shipments[0].recipient.phone", notPhone("86000000")},
		{"letters", ship("138-0013-800a", withSender("")), "data.shipments[0].recipient.phone",
			`"138-0013-800a" is not a phone number: only digits, spaces, '-', '(' and ')', and '+' before a country code`},
		{"international too short", ship("+44 123", withSender("")), "data.shipments[0].recipient.phone",
			`"+44 123" has 5 digits; a number in international form has 8 to 15`},
		{"bad sender phone", ship("13800138000", withSender("0755")), "data.shipments[0].sender.phone", notPhone("0755")},
		{"mobile", ship("13800138000", withSender("")), "", ""},
		{"mobile with +86", ship("+86 138 0013 8000", withSender("0755-86000000")), "", ""},
		{"fixed line", ship("010 12345678", withSender("075512345678")), "", ""},
		{"fixed line with +86", ship("+86 755 8600 0000", withSender("(0755) 8600-0000")), "", ""},
		{"abroad", ship("+44 20 7946 0958", withSender("")), "", ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			res := e.command(strings.Replace(c.cmd, `"id":"s1"`, fmt.Sprintf(`"id":"s%d"`, i), 1))
			if c.field == "" {
				if !res.Applied {
					t.Fatalf("refused: %+v", res)
				}
				return
			}
			if res.Applied || res.Field != c.field || res.Reason != c.why {
				t.Fatalf("result %+v, want field %s reason %q", res, c.field, c.why)
			}
			if _, err := e.db.Shipment("O1"); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
				t.Fatalf("a refused shipment was stored: %v", err)
			}
		})
	}
	// The Go door (POST /api/v1/shipments and the CLI) refuses the same.
	e := newEnv(t)
	err := e.db.PutShipments(ctx, []floorgate.Shipment{{Order: "O1", Carrier: "SF", Tracking: "SF1",
		Recipient: floorgate.Party{Name: "Li", Phone: "13800138000", Address: "Shenzhen"}}})
	if floorgate.ErrorCode(err) != floorgate.EINVALID || !strings.Contains(err.Error(), "shipments[0].sender.name: missing") {
		t.Fatalf("PutShipments without a sender: %v", err)
	}
}
