// Package gs1 understands what a barcode scanner delivers and validates it
// the way GS1 defines it.
//
// Parse takes a scan as received — with or without an AIM symbology
// identifier (ISO/IEC 15424), as GS1 element strings with GS separators, in
// the bracketed human-readable form, as a GS1 Digital Link URI, or as a plain
// EAN/UPC/ITF-14 number — and returns its GS1 elements in scan order.
// Validate then checks them against GS1's Barcode Syntax Dictionary: length,
// character set, check digits, dates and the other linters the dictionary
// names, the AIs an AI requires (req=) or excludes (ex=), and duplicates.
//
// The AI table (ai_table.go) is generated from the dictionary by go generate
// (see gen.go and internal/gen); it is committed, so building never needs the
// dictionary file.
//
// The package sits on the hot path of every scan. It must not do I/O, read
// the clock, start goroutines or change package state after init, and it
// compiles nothing per call: every table is built once, at init.
package gs1
