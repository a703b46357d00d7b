package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/floorgate/floorgate/internal/cmdline"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/print/template"
)

// labelCommand renders a template from a JSON data file.
func labelCommand(args []string, stdout, stderr io.Writer) error {
	_, args, err := cmdline.Subcommand(prog, "label", args, map[string]string{
		"render": "render a template from a JSON data file to ZPL, TSPL, EPL2, ESC/POS or PNG",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	fs := newFlags("label render", "--data FILE", "Render a label template from a JSON data file.", stdout, stderr)
	tmpl := fs.String("template", "waybill-100x180", "template id (floorgate template list)")
	dir := fs.String("templates-dir", "", "a site's template directory (templates_dir in floorgate.yaml), over the shipped ones")
	data := fs.String("data", "", "JSON file: a shipment (waybills, packing list), a location (with x_mm), or an item (with gs1)")
	format := fs.String("format", "zpl", "zpl, tspl, epl2, escpos or png")
	dpi := fs.Int("dpi", 203, "printer resolution: 203 or 300")
	lang := fs.String("lang", "zh", "the label's language: "+strings.Join(template.Languages, " or "))
	out := fs.String("out", "-", "output file (- for standard output)")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	set, err := template.Load(*dir)
	if err != nil {
		return fmt.Errorf("label render: %w", err)
	}
	t, ok := set.Get(*tmpl)
	if !ok {
		return fmt.Errorf("label render: no template %q (floorgate template list)", *tmpl)
	}
	raw, err := os.ReadFile(*data)
	if err != nil {
		return fmt.Errorf("label render: %w", err)
	}
	l, err := t.FromJSON(raw, *lang, time.Now())
	if err != nil {
		return fmt.Errorf("label render %s: %w", *data, err)
	}
	b, err := label.Render(l, label.Format(*format), label.Options{DPI: *dpi})
	if err != nil {
		return fmt.Errorf("label render: %w", err)
	}
	if *out == "-" {
		_, err = stdout.Write(b)
		return err
	}
	return os.WriteFile(*out, b, 0o644)
}

// templateCommand lists and checks the label templates.
func templateCommand(args []string, stdout, stderr io.Writer) error {
	sub, args, err := cmdline.Subcommand(prog, "template", args, map[string]string{
		"list":     "list the templates: the shipped ones and a site's directory over them",
		"validate": "check every template of the shipped set and a site's directory; exit 1 naming the file and field of a bad one",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	fs := newFlags("template "+sub, "", "Load the shipped label templates and a site's directory over them.", stdout, stderr)
	dir := fs.String("dir", "", "a site's template directory (templates_dir in floorgate.yaml)")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	set, err := template.Load(*dir)
	if err != nil {
		return fmt.Errorf("template %s: %w", sub, err)
	}
	for _, t := range set.All() {
		what := t.Kind
		if t.Kind == template.KindWaybill {
			what += " " + strings.Join(t.Carriers, ",")
			if t.Variant != "" {
				what += " " + string(t.Variant)
			}
		}
		fmt.Fprintf(stdout, "%-18s v%-3d %-8s %-40s %s\n", t.ID, t.Version, t.Media, what, t.File)
	}
	if sub == "validate" {
		fmt.Fprintf(stdout, "%d templates, all valid\n", len(set.All()))
	}
	return nil
}
