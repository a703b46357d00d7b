package kpi

import "github.com/floorgate/floorgate"

// Order variants, as parcels carry them (PackRecord.Variant; absent is
// normal): each has its own pack and ship counts (Figures.Variants).
type variant int

const (
	vNormal variant = iota
	vPreSale
	vCrossBorder
	vPeak
)

// variants names each variant by its index: the keys of Figures.Variants.
var variants = [...]floorgate.OrderVariant{
	vNormal:      floorgate.VariantNormal,
	vPreSale:     floorgate.VariantPreSale,
	vCrossBorder: floorgate.VariantCrossBorder,
	vPeak:        floorgate.VariantPeak,
}

const nVariants = len(variants)

// variantOf is a record's variant; one this build does not know counts as
// normal.
func variantOf(v floorgate.OrderVariant) variant {
	for i, n := range variants {
		if n == v {
			return variant(i)
		}
	}
	return vNormal
}

// VariantFigures are the parcels of one order variant, for the population
// and span of the Figures holding them.
type VariantFigures struct {
	// Packed is the pack.completed events: parcels whose every item was
	// verified. Held is those of them held with no waybill (presale,
	// record held: true).
	Packed int `json:"packed"`
	Held   int `json:"held"`
	// Shipped is the ship.confirmed events; WithinStandard those with
	// pack_to_ship_s at most the outbound standard (for a presale parcel
	// measured from its release).
	Shipped        int `json:"shipped"`
	WithinStandard int `json:"within_standard"`
}

// variantFigures turns a's per-variant sums into the published figures.
func (a *acc) variantFigures() map[floorgate.OrderVariant]VariantFigures {
	out := make(map[floorgate.OrderVariant]VariantFigures, nVariants)
	for v, name := range variants {
		out[name] = VariantFigures{Packed: a.vPacked[v], Held: a.vHeld[v], Shipped: a.vShipped[v], WithinStandard: a.vWithin[v]}
	}
	return out
}

// perVariant is accInts' entries for each variant of each per-variant
// count.
func perVariant(counts ...func(*acc) *[nVariants]int) []func(*acc) *int {
	var out []func(*acc) *int
	for _, f := range counts {
		for v := range nVariants {
			out = append(out, func(a *acc) *int { return &f(a)[v] })
		}
	}
	return out
}
