// Package kpi computes the floor's KPIs — scans and rejections, lines and
// lines per hour, units per hour and put accuracy per picking mode
// (discrete, cluster: a cart of totes, batch: sorting at a put wall, whose
// put accuracy is the sort accuracy), pick accuracy per scan and line
// accuracy (lines picked right the first time) against the 99.8%
// standard, location-first
// sequence compliance, scanning-distance compliance, pack-to-outbound time
// against the 30-minute standard, time per flow stage, exceptions (by reason,
// and the time to resolve them), and per order the exception rate against
// the 1% standard and process compliance against the 98% standard (orders.go)
// — for the whole site, per person and per clock hour, from the event
// journal; and the orders by wave and by variant, for the site.
//
// The figures come only from journalled events (the same events that go
// upstream), never from the store's current state, so the report for a
// window is the same whenever it is asked for. Compute reads a journal
// whole; a Rollup is fed it once, event by event, keeps each hour's sums and
// answers any window with exactly Compute's report by adding hours up. The
// package is pure: it must not do I/O, read the clock or start goroutines;
// the caller reads the journal and serves the Report (as JSON at
// /api/v1/kpi).
package kpi
