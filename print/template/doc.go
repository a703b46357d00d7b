// Package template holds label templates: versioned YAML files that lay out
// a waybill, a packing list, a location or an item label in millimetres —
// text, Code 128, GS1-128 and QR codes, lines, boxes, pictures and rows of
// a list — with fields bound to the shipment's data, formatting and
// masking rules, and the fields a template requires. Filled in, a template
// is a label.Label, which package label renders for any printer.
//
// floorgate ships templates for the common carriers' e-waybills and the
// floor's own labels (directory templates, embedded); a site adds or
// overrides them in its own directory. Every template is checked when it is
// loaded: a bad one names its file and field, and nothing starts.
package template
