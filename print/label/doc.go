// Package label lays out floorgate's printed labels — waybills, packing
// lists, location labels and item labels — as one printer-neutral model
// (Label, in millimetres) and renders that model to ZPL II, TSPL, ESC/POS
// raster or PNG at a printer's resolution.
//
// It is pure: apart from reading a font file (LoadFont, DefaultFont) it does
// no I/O, keeps no clock and starts no goroutines. It must not talk to
// printers, spool jobs or read printer status; that belongs to the printer
// drivers. Templates refuse incomplete data with an error naming the field
// rather than print a half-empty label.
package label
