// Package shiftgen generates a seeded warehouse shift — a site, pick tasks
// (most picked alone, some on a cart: docs/pda-protocol.md §12, and one
// batch picked in one task and sorted at a put wall: §13), parcels
// and a timed script of what every picker and packer does on the floor,
// with the verdict each action must get — and computes the KPIs that shift
// must produce, per picking mode too, from its own ground truth.
//
// It exists for the KPI truth test (gateway/kpitruth_test.go): the test
// plays the script against a real gateway and compares every figure of
// /api/v1/kpi with Shift.Expected. The expected figures follow the written
// definitions (docs/web-api.md, "KPIs"; docs/pda-protocol.md §10), one
// function per figure in kpi.go, implemented here a second time on purpose.
//
// So this package must not import web/kpi, the scan engine or anything of
// floorgate's: only the standard library. Its engine model (engine.go) and
// its figures are what the documents say, not what the code does; where
// they differ, the test says so by name. It is pure: no I/O, no clock, no
// goroutines, and the same Config always gives the same Shift.
package shiftgen
