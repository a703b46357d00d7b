package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan/gs1"
)

// BenchmarkPickScans is the store's share of a verdict: pickers scanning
// location, item, location, item… through tasks of 20 one-unit lines,
// concurrently, on a real file with fsync. With one picker each scan is a
// commit of its own (ns/op is a lone verdict's latency in the store, to
// set against storebench's BenchmarkRawCommit); with 64 the commits group. ns/op, B/op
// and allocs/op are per verdict.
func BenchmarkPickScans(b *testing.B) {
	for _, n := range []int{1, 64} {
		b.Run(fmt.Sprintf("pickers=%d", n), func(b *testing.B) { benchPickScans(b, n) })
	}
}

func benchPickScans(b *testing.B, pickers int) {
	const lines = 20
	db := openDB(b, filepath.Join(b.TempDir(), FileName), Options{Site: testSite, AutoEnrol: true})
	ctx := context.Background()
	var m Master
	locBarcode, itemOf := map[string]string{}, map[string]string{}
	for i := range lines {
		code := fmt.Sprintf("L%02d", i)
		m.Locations = append(m.Locations, floorgate.Location{Code: code, Barcode: "LOC-" + code, LabelXMM: 0.375})
		locBarcode[code] = "LOC-" + code
		sku := fmt.Sprintf("S%02d", i)
		bc := fmt.Sprintf("6900000001%02d", i)
		bc += string(gs1.CheckDigit(bc))
		m.Items = append(m.Items, floorgate.Item{SKU: sku, Name: "Item " + sku, Barcodes: []string{bc}})
		itemOf[sku] = bc
	}
	for i := range pickers {
		m.Operators = append(m.Operators, floorgate.Operator{ID: fmt.Sprint("op", i), Name: "Picker", Badge: fmt.Sprint("B", i), PINHash: pinHash, Role: floorgate.RolePicker})
	}
	if err := db.PutMaster(ctx, m); err != nil {
		b.Fatal(err)
	}
	ntasks := b.N/(2*lines) + 2*pickers
	var tasks []floorgate.Task
	for t := range ntasks {
		tk := floorgate.Task{ID: fmt.Sprint("T", t), Order: fmt.Sprint("SO-", t)}
		for l := range lines {
			tk.Lines = append(tk.Lines, floorgate.TaskLine{Location: fmt.Sprintf("L%02d", l), SKU: fmt.Sprintf("S%02d", l), Qty: 1})
		}
		tasks = append(tasks, tk)
	}
	for len(tasks) > 0 {
		n := min(len(tasks), 500)
		if _, err := db.ImportTasks(ctx, tasks[:n]); err != nil {
			b.Fatal(err)
		}
		tasks = tasks[n:]
	}
	prompts := make([]floorgate.Prompt, pickers)
	for i := range pickers {
		dev := fmt.Sprint("pda-", i)
		if _, err := db.Hello(ctx, dev, testToken(dev), "bench"); err != nil {
			b.Fatal(err)
		}
		v, err := db.Login(ctx, dev, "login", fmt.Sprint("B", i), "2468")
		if err != nil || v.Code != floorgate.CodeLoggedIn {
			b.Fatalf("login %s: %v %v", dev, v.Code, err)
		}
		prompts[i] = v.Prompt
	}
	var mu sync.Mutex
	left := b.N
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range pickers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dev, p := fmt.Sprint("pda-", i), prompts[i]
			for n := 0; ; n++ {
				mu.Lock()
				if left == 0 {
					mu.Unlock()
					return
				}
				left--
				mu.Unlock()
				var data string
				switch p.Step {
				case "scan_location":
					data = locBarcode[p.Location]
				case "scan_item":
					data = itemOf[p.SKU]
				default:
					b.Errorf("%s: step %q", dev, p.Step)
					return
				}
				v, err := db.Scan(ctx, floorgate.Scan{ID: fmt.Sprint(dev, "-", n), Device: dev, Data: data, DistanceMM: 70, At: time.Now()})
				if err != nil || !v.OK {
					b.Errorf("%s: %s: %v %v", dev, data, v.Code, err)
					return
				}
				p = v.Prompt
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	c, r := db.Stats()
	b.ReportMetric(float64(r)/float64(max(c, 1)), "requests/commit")
}
