package template

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
)

// printedAt is the print time every golden label shows.
var printedAt = time.Date(2026, 11, 22, 17, 8, 0, 0, time.FixedZone("CST", 8*3600))

// sampleShipment is a full domestic parcel: every field a waybill prints.
func sampleShipment() floorgate.Shipment {
	return floorgate.Shipment{
		Order:           "SO20261122-0042",
		Carrier:         "SF",
		Service:         "顺丰标快",
		Tracking:        "SF1234567890123",
		SortCode:        "755W-B12-03",
		CollectionPoint: "深圳南山集散中心",
		Recipient: floorgate.Party{
			Name:    "王小明",
			Phone:   "13812345678",
			Address: "广东省深圳市南山区科技园南区高新南七道18号深圳湾科技生态园10栋B座1203室",
		},
		Sender: floorgate.Party{
			Name:    "杭州仓 floorgate",
			Phone:   "0571-88886666",
			Address: "浙江省杭州市余杭区仓前街道文一西路1500号3号库",
		},
		WeightG: 1250,
		COD:     &floorgate.Money{Amount: "128.00", Currency: "CNY"},
		Lines: []floorgate.ShipmentLine{
			{SKU: "A-1001", Name: "保温杯 500ml", Qty: 2, Fragile: true},
			{SKU: "B-2002", Name: "Phone case", Qty: 1},
			{SKU: "C-3003", Name: "数据线 USB-C 1m", Qty: 3},
			{SKU: "D-4004", Name: "充电器 20W", Qty: 1},
			{SKU: "E-5005", Name: "贴膜", Qty: 2},
			{SKU: "F-6006", Name: "耳机", Qty: 1},
			{SKU: "G-7007", Name: "支架", Qty: 1},
		},
		Extras:          []floorgate.PackExtra{{Kind: floorgate.ExtraGift, SKU: "GIFT-01", Name: "新年贺卡", Qty: 1}},
		Instructions:    []floorgate.PackInstruction{{Text: "易碎品：保温杯单独气泡袋包装"}, {Line: 3, Text: "数据线扎带捆好"}},
		FragileMaterial: "PM-BUBBLE-01",
	}
}

// sampleCrossBorder is a parcel abroad with its customs declaration.
func sampleCrossBorder() floorgate.Shipment {
	return floorgate.Shipment{
		Order: "SO20261122-0107", Carrier: "DHL", Service: "Express Worldwide", Tracking: "JD014600006381530001",
		Variant:   floorgate.VariantCrossBorder,
		Recipient: floorgate.Party{Name: "Emma Schmidt", Phone: "+49 30 12345678", Address: "Friedrichstraße 123, 10117 Berlin, Germany"},
		Sender:    floorgate.Party{Name: "floorgate Shenzhen DC", Phone: "0755-86000000", Address: "8 Fuhai Road, Bao'an, Shenzhen 518103, China"},
		WeightG:   860,
		Lines: []floorgate.ShipmentLine{
			{SKU: "SKU-7731", Name: "USB-C cable 1 m", Qty: 2},
			{SKU: "SKU-5120", Name: "Screen protector", Qty: 3},
		},
		Customs: &floorgate.Customs{Currency: "USD", DeclaredValue: "25.40", Contents: "Phone accessories",
			Items: []floorgate.CustomsItem{
				{SKU: "SKU-7731", Description: "USB cable", HSCode: "8544422100", Qty: 2, Value: "12.80", Origin: "CN", WeightG: 120},
				{SKU: "SKU-5120", Description: "Tempered glass screen protector", HSCode: "7007190000", Qty: 3, Value: "12.60", Origin: "CN", WeightG: 90},
			}},
	}
}

// squarePNG is a 40×40 PNG with a black square in it.
func squarePNG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := range 40 {
			c := uint8(255)
			if x > 10 && x < 30 && y > 10 && y < 30 {
				c = 0
			}
			img.SetGray(x, y, color.Gray{Y: c})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
