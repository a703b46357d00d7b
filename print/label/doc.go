// Package label is floorgate's printer-neutral label model (Label, in
// millimetres: text, barcodes, lines, boxes, pictures) and renders it to
// ZPL II, TSPL, EPL2, ESC/POS raster or PNG at a printer's resolution. The
// layouts themselves — waybills, packing lists, location and item labels —
// are templates in print/template, which fill a Label from data and refuse
// incomplete data naming the field; this package only measures (Check,
// Code128Width, QRWidth) and draws. A carrier's own label, returned as a PNG
// or PDF page, becomes a Label holding one Picture (PagePNG, PagePDF), so it
// prints through the same renderers.
//
// It is pure: apart from reading a font file (LoadFont, DefaultFont) it does
// no I/O, keeps no clock and starts no goroutines. PagePDF is the one heavy
// part: it runs PDFium, compiled to WebAssembly, in-process (wazero), and
// keeps the compiled module for the life of the process. The package must
// not talk to printers, spool jobs or read printer status; that belongs to
// the printer drivers.
package label
