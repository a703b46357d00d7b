package gateway

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

// The demo site: four zones of shelving, a few hundred locations and items
// with valid EAN-13 barcodes, twenty pickers and a few dozen orders. It is
// generated from a fixed seed, so the simulator and the benchmark know its
// barcodes without asking the gateway.
const (
	DemoSeed      = 20261122
	DemoPIN       = "1234"
	DemoOperators = 20
	DemoPackers   = 4
	// DemoAdminBadge and DemoSupervisorBadge sign in on the status page.
	DemoAdminBadge      = "B9001"
	DemoSupervisorBadge = "B9002"
	DemoOrders          = 40
	// DemoLabelX is the X-dimension of the location labels floorgate prints
	// (ZPL ^BY3 at 203 dpi: 3 × 0.125 mm).
	DemoLabelX = 0.375
)

var DemoZones = []floorgate.Zone{
	{ID: "A", Name: "Ambient A"}, {ID: "B", Name: "Ambient B"},
	{ID: "C", Name: "Cold room"}, {ID: "H", Name: "High value cage"},
}

var DemoProducts = []struct{ en, zh string }{
	{"Phone case", "手机壳"}, {"USB-C cable 1 m", "USB-C数据线1米"}, {"Power bank 10000 mAh", "充电宝10000毫安"},
	{"Bluetooth earbuds", "蓝牙耳机"}, {"Green tea 250 g", "绿茶250克"}, {"Face cream 50 ml", "面霜50毫升"},
	{"Cotton T-shirt M", "纯棉T恤M码"}, {"Running socks", "运动袜"}, {"Ceramic mug", "陶瓷杯"},
	{"Notebook A5", "A5笔记本"}, {"Gel pen black", "黑色中性笔"}, {"Desk lamp", "台灯"},
	{"Yoga mat", "瑜伽垫"}, {"Water bottle 600 ml", "水杯600毫升"}, {"Sunscreen SPF50", "防晒霜SPF50"},
	{"Baby wipes 80", "婴儿湿巾80抽"}, {"Dried mango 200 g", "芒果干200克"}, {"Screen protector", "钢化膜"},
	{"Hair clip set", "发夹套装"}, {"Umbrella compact", "折叠伞"},
}

// Demo is the generated demo site.
type Demo struct {
	Master store.Master
	Tasks  []floorgate.Task
	// Peak is a held peak-sale wave, released from the status page (or by
	// the ERP), and PeakTasks its orders: one to two small items each.
	Peak      floorgate.WaveDefinition
	PeakTasks []floorgate.Task
	// Batch is a batch of the peak wave sorted at the demo's put wall, and
	// Singles one of one-unit orders for the single-item lane.
	Batch        floorgate.BatchDefinition
	BatchTasks   []floorgate.Task
	Singles      floorgate.BatchDefinition
	SinglesTasks []floorgate.Task
	// ItemBarcode and LocationBarcode map codes to what their labels carry.
	ItemBarcode     map[string]string
	LocationBarcode map[string]string
	Badges          []string
	PackerBadges    []string
}

// ean13 completes 12 digits with their GS1 check digit.
func ean13(d12 string) string {
	sum := 0
	for i := len(d12) - 1; i >= 0; i-- {
		w := 1
		if (len(d12)-1-i)%2 == 0 {
			w = 3
		}
		sum += int(d12[i]-'0') * w
	}
	return d12 + string(rune('0'+(10-sum%10)%10))
}

// NewDemo generates the demo site. PIN hashes are left empty; Seed fills
// them (hashing is deliberately slow).
func NewDemo() *Demo {
	rng := rand.New(rand.NewPCG(DemoSeed, 1))
	d := &Demo{ItemBarcode: map[string]string{}, LocationBarcode: map[string]string{}}
	for _, z := range DemoZones {
		for aisle := 1; aisle <= 4; aisle++ {
			for bay := 1; bay <= 6; bay++ {
				for level := 1; level <= 3; level++ {
					code := fmt.Sprintf("%s-%02d-%02d-%d", z.ID, aisle, bay, level)
					// The walk goes zone by zone, aisle by aisle: the
					// order the codes sort in.
					d.Master.Locations = append(d.Master.Locations, floorgate.Location{Code: code, Zone: z.ID,
						Barcode: code, LabelXMM: DemoLabelX, WalkSeq: 10 * (len(d.Master.Locations) + 1)})
					d.LocationBarcode[code] = code
				}
			}
		}
	}
	for i := range 300 {
		p := DemoProducts[i%len(DemoProducts)]
		sku := fmt.Sprintf("SKU-%05d", 10001+i)
		code := ean13(fmt.Sprintf("6901234%05d", 10001+i))
		d.Master.Items = append(d.Master.Items, floorgate.Item{SKU: sku,
			Name: fmt.Sprintf("%s #%d", p.en, i/len(DemoProducts)+1), NameZH: p.zh, Barcodes: []string{code}})
		d.ItemBarcode[sku] = code
	}
	for i := range DemoOperators {
		badge := fmt.Sprintf("B%04d", 1001+i)
		d.Master.Operators = append(d.Master.Operators, floorgate.Operator{
			ID: fmt.Sprintf("P%03d", i+1), Name: fmt.Sprintf("Picker %d", i+1), Badge: badge, Role: floorgate.RolePicker})
		d.Badges = append(d.Badges, badge)
	}
	for i := range DemoPackers {
		badge := fmt.Sprintf("B%04d", 2001+i)
		d.Master.Operators = append(d.Master.Operators, floorgate.Operator{
			ID: fmt.Sprintf("K%03d", i+1), Name: fmt.Sprintf("Packer %d", i+1), Badge: badge, Role: floorgate.RolePacker})
		d.PackerBadges = append(d.PackerBadges, badge)
	}
	// The status page: an admin and a supervisor.
	d.Master.Operators = append(d.Master.Operators,
		floorgate.Operator{ID: "A001", Name: "Site admin", Badge: DemoAdminBadge, Role: floorgate.RoleAdmin},
		floorgate.Operator{ID: "S001", Name: "Shift supervisor", Badge: DemoSupervisorBadge, Role: floorgate.RoleSupervisor})
	d.Tasks = d.MoreTasks(rng, "T", DemoOrders, 1, 6, 3)
	d.Peak = floorgate.WaveDefinition{ID: DemoPeakWave, Hold: true, Priority: 5}
	d.PeakTasks = d.MoreTasks(rng, "PK", DemoPeakOrders, 1, 2, 1)
	for i := range d.PeakTasks {
		// Peak orders are small: picked many at a time on a cart.
		d.PeakTasks[i].Variant, d.PeakTasks[i].Mode = floorgate.VariantPeak, floorgate.ModeCluster
	}
	for i := range DemoCarts {
		d.Master.Carts = append(d.Master.Carts, floorgate.Cart{ID: fmt.Sprintf("C%02d", i+1), Barcode: fmt.Sprintf("CART-%02d", i+1), Slots: DemoCartSlots})
	}
	for i := range DemoTotes {
		d.Master.Totes = append(d.Master.Totes, floorgate.Tote{ID: fmt.Sprintf("T%03d", i+1), Barcode: fmt.Sprintf("TOTE-%03d", i+1)})
	}
	wall := floorgate.Wall{ID: DemoWall, Station: "pack-1"}
	for i := range DemoWallSlots {
		wall.Slots = append(wall.Slots, fmt.Sprintf("%s-%02d", DemoWall, i+1))
	}
	d.Master.Walls = []floorgate.Wall{wall}
	d.Batch = floorgate.BatchDefinition{ID: DemoBatch, Wall: DemoWall}
	d.BatchTasks = d.MoreTasks(rng, "BT", DemoWallSlots, 1, 2, 2)
	d.Singles = floorgate.BatchDefinition{ID: DemoSingles}
	d.SinglesTasks = d.MoreTasks(rng, "SG", DemoSingleOrders, 1, 1, 1)
	for _, ts := range [][]floorgate.Task{d.BatchTasks, d.SinglesTasks} {
		for i := range ts {
			ts[i].Variant, ts[i].Wave = floorgate.VariantPeak, DemoPeakWave
		}
	}
	return d
}

// The demo's put wall (at pack-1) with its batch, and its single-item
// orders; both belong to the held peak wave.
const (
	DemoWall         = "WALL-1"
	DemoWallSlots    = 12
	DemoBatch        = "BATCH-0001"
	DemoSingles      = "SINGLE-0001"
	DemoSingleOrders = 20
)

// The demo's carts and totes: four carts of eight slots, enough totes for
// every cart and the orders waiting at packing.
const (
	DemoCarts     = 4
	DemoCartSlots = 8
	DemoTotes     = 60
)

// The demo's held peak wave and its size.
const (
	DemoPeakWave   = "PEAK-1111"
	DemoPeakOrders = 24
	// DemoPeakCutOff is how long after seeding the carrier collects the
	// peak wave's parcels.
	DemoPeakCutOff = 3 * time.Hour
)

// MoreTasks makes n orders of minLines..maxLines lines of 1..maxQty units,
// each line at its item's home location, ordered along the pick path.
func (d *Demo) MoreTasks(rng *rand.Rand, prefix string, n, minLines, maxLines, maxQty int) []floorgate.Task {
	variants := []floorgate.OrderVariant{floorgate.VariantNormal, floorgate.VariantNormal,
		floorgate.VariantPreSale, floorgate.VariantCrossBorder, floorgate.VariantPeak}
	base := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	out := make([]floorgate.Task, 0, n)
	for o := range n {
		nl := minLines + rng.IntN(maxLines-minLines+1)
		used := map[int]bool{}
		var lines []floorgate.TaskLine
		for len(lines) < nl {
			i := rng.IntN(len(d.Master.Items))
			if used[i] {
				continue
			}
			used[i] = true
			loc := d.Master.Locations[i%len(d.Master.Locations)].Code
			lines = append(lines, floorgate.TaskLine{Location: loc, SKU: d.Master.Items[i].SKU, Qty: 1 + rng.IntN(maxQty)})
		}
		slices.SortFunc(lines, func(a, b floorgate.TaskLine) int {
			if a.Location < b.Location {
				return -1
			}
			if a.Location > b.Location {
				return 1
			}
			return 0
		})
		out = append(out, floorgate.Task{ID: fmt.Sprintf("%s%06d", prefix, o+1), Order: fmt.Sprintf("SO%s%06d", prefix, o+1),
			Variant: variants[rng.IntN(len(variants))], Lines: lines, Created: base.Add(time.Duration(o) * time.Second)})
	}
	return out
}

// HomeLocation is the location a demo item is stocked at.
func (d *Demo) HomeLocation(sku string) string {
	for i, it := range d.Master.Items {
		if it.SKU == sku {
			return d.Master.Locations[i%len(d.Master.Locations)].Code
		}
	}
	return ""
}

// Seed stores the demo site in db unless it already has master data.
func (d *Demo) Seed(ctx context.Context, db *store.DB, now time.Time) (bool, error) {
	if db.Counts().Locations > 0 {
		return false, d.addStatusPageUsers(ctx, db)
	}
	m := d.Master
	m.Operators = slices.Clone(m.Operators)
	for i := range m.Operators {
		h, err := floorgate.HashPIN(DemoPIN)
		if err != nil {
			return false, fmt.Errorf("seed demo: %w", err)
		}
		m.Operators[i].PINHash = h
	}
	if err := db.PutMaster(ctx, m); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	if _, err := db.ImportTasks(ctx, d.Tasks); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	peak := d.Peak
	peak.CutOff = now.Add(DemoPeakCutOff).Truncate(time.Minute)
	if _, err := db.ImportWave(ctx, peak, d.PeakTasks); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	for _, b := range []struct {
		def   floorgate.BatchDefinition
		tasks []floorgate.Task
	}{{d.Batch, d.BatchTasks}, {d.Singles, d.SinglesTasks}} {
		if _, err := db.ImportBatch(ctx, b.def, b.tasks); err != nil {
			return false, fmt.Errorf("seed demo: %w", err)
		}
	}
	if err := db.PutShipments(ctx, d.Shipments()); err != nil {
		return false, fmt.Errorf("seed demo: %w", err)
	}
	return true, nil
}

// addStatusPageUsers gives a demo site seeded by an earlier floorgate its
// status page admin and supervisor.
func (d *Demo) addStatusPageUsers(ctx context.Context, db *store.DB) error {
	if _, ok := db.BadgeOperator(DemoAdminBadge); ok {
		return nil
	}
	var m store.Master
	for _, op := range d.Master.Operators {
		if op.Badge != DemoAdminBadge && op.Badge != DemoSupervisorBadge {
			continue
		}
		h, err := floorgate.HashPIN(DemoPIN)
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		op.PINHash = h
		m.Operators = append(m.Operators, op)
	}
	if err := db.PutMaster(ctx, m); err != nil {
		return fmt.Errorf("seed demo: status page users: %w", err)
	}
	return nil
}

// DemoSortCodes are the demo parcels' route codes, one per city in
// DemoCities.
var DemoSortCodes = []string{"755W-NS01", "021AB-PD07", "571K-YH03", "010FG-CY12"}

var DemoCities = []string{"广东省深圳市南山区科技园南路88号", "上海市浦东新区张江路1001弄5号", "浙江省杭州市余杭区文一西路969号", "北京市朝阳区建国路93号万达广场"}

// Shipments are the demo orders' parcels: a recipient, SF Express with its
// service, route code and collection point, and a tracking number each.
func (d *Demo) Shipments() []floorgate.Shipment {
	names, en := map[string]string{}, map[string]string{}
	for _, it := range d.Master.Items {
		names[it.SKU], en[it.SKU] = it.NameZH, it.Name
	}
	out := make([]floorgate.Shipment, 0, len(d.Tasks)+len(d.PeakTasks))
	for i, t := range slices.Concat(d.Tasks, d.PeakTasks, d.BatchTasks, d.SinglesTasks) {
		s := floorgate.Shipment{Order: t.Order, Carrier: "SF", Service: "顺丰标快", Tracking: fmt.Sprintf("SF%012d", 100000000+i),
			SortCode: DemoSortCodes[i%len(DemoSortCodes)], CollectionPoint: "深圳宝安集散中心", WeightG: 300 + i%7*150,
			Recipient: floorgate.Party{Name: []string{"李雷", "韩梅梅", "王芳", "张伟"}[i%4], Phone: fmt.Sprintf("138%08d", 10000000+i*7919%90000000), Address: DemoCities[i%len(DemoCities)]},
			Sender:    floorgate.Party{Name: "floorgate 演示仓", Phone: "075512345678", Address: "广东省深圳市宝安区福永物流园3号库"}}
		for _, l := range t.Lines {
			s.Lines = append(s.Lines, floorgate.ShipmentLine{SKU: l.SKU, Name: names[l.SKU], Qty: l.Qty})
		}
		if t.Variant == floorgate.VariantCrossBorder {
			// Abroad, declared to customs: the customs layout prints.
			s.Variant, s.Service = floorgate.VariantCrossBorder, "国际标快 International Express"
			s.Recipient = floorgate.Party{Name: "Emma Schmidt", Phone: "+49 30 12345678", Address: "Friedrichstraße 123, 10117 Berlin, Germany"}
			c := &floorgate.Customs{Currency: "USD", Contents: "Consumer goods", DeclaredValue: "0"}
			total := 0
			for _, l := range s.Lines {
				c.Items = append(c.Items, floorgate.CustomsItem{SKU: l.SKU, Description: en[l.SKU], HSCode: "8543709990",
					Qty: l.Qty, Value: fmt.Sprintf("%d.00", 5*l.Qty), Origin: "CN"})
				total += 5 * l.Qty
			}
			c.DeclaredValue = fmt.Sprintf("%d.00", total)
			s.Customs = c
		}
		out = append(out, s)
	}
	return out
}
