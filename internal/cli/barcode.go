package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/internal/cmdline"
	"github.com/floorgate/floorgate/scan/gs1"
)

// explanation is what floorgate makes of one scan, for support staff.
type explanation struct {
	Data        string               `json:"data"`
	AIM         string               `json:"aim"`
	Symbology   string               `json:"symbology"`
	Valid       bool                 `json:"valid"`
	Error       *string              `json:"error"`
	Rule        string               `json:"rule,omitempty"`
	ErrorAI     string               `json:"error_ai,omitempty"`
	DigitalLink bool                 `json:"digital_link,omitempty"`
	GTIN        string               `json:"gtin,omitempty"`
	AIs         []explainedAI        `json:"ais"`
	Match       *floorgate.MatchInfo `json:"match"`
	// MatchNote says why Match is missing, when it is.
	MatchNote string `json:"match_note,omitempty"`
}

type explainedAI struct {
	AI    string `json:"ai"`
	Title string `json:"title"`
	Value string `json:"value"`
}

// unescapeScan turns the ways a person types a GS on a command line
// (\x1d, <GS>, {GS}, \u001d) into the GS character.
func unescapeScan(s string) string {
	return strings.NewReplacer(`\x1d`, "\x1d", `\x1D`, "\x1d", `\u001d`, "\x1d", "<GS>", "\x1d", "{GS}", "\x1d").Replace(s)
}

// explain parses and validates data (with its AIM id, if any).
func explain(raw string) explanation {
	bc, err := gs1.Parse(raw)
	e := explanation{Data: bc.Data, AIM: bc.AIM, Symbology: bc.Symbology, DigitalLink: bc.DigitalLink, AIs: []explainedAI{}}
	if e.Data == "" && err != nil {
		e.Data = raw
	}
	if err == nil {
		err = bc.Validate()
	}
	for _, el := range bc.Elements {
		title := ""
		if entry, ok := gs1.Lookup(el.AI); ok {
			title = entry.Title
		}
		e.AIs = append(e.AIs, explainedAI{AI: el.AI, Title: title, Value: el.Value})
	}
	e.GTIN, _ = bc.GTIN()
	e.Valid = err == nil
	if err != nil {
		msg := err.Error()
		e.Error = &msg
		var ge *gs1.Error
		if errors.As(err, &ge) {
			e.Rule, e.ErrorAI = ge.Rule, ge.AI
		}
	}
	return e
}

func barcodeCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	_, args, err := cmdline.Subcommand(prog, "barcode", args, map[string]string{
		"explain": "say what scanned data holds (AIM id, GS1 fields) and what it names at the site",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	fs := newFlags("barcode explain", "DATA", `Explain scanned data: its AIM symbology id, its GS1 fields with their checks, and which location or item it
names in the running gateway's master data. A GS may be written \x1d or <GS>; an AIM id like ]C1 may lead.`, stdout, stderr)
	t := targetFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.ParseArgs(args, 1); err != nil {
		return err
	}
	raw := unescapeScan(fs.Arg(0))
	e := explain(raw)
	if err := t.withClient(ctx, func(c *client.Client) error {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var m floorgate.MatchInfo
		if err := c.Get(ctx, "/api/v1/barcodes/lookup?"+url.Values{"aim": {e.AIM}, "data": {e.Data}}.Encode(), &m); err != nil {
			return err
		}
		e.Match = &m
		return nil
	}); err != nil {
		e.MatchNote = fmt.Sprintf("not looked up in master data: %v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}
	printExplanation(stdout, e)
	return nil
}

func printExplanation(w io.Writer, e explanation) {
	aim := e.AIM
	if aim == "" {
		aim = "none"
	}
	fmt.Fprintf(w, "symbology:  %s (AIM %s)\n", e.Symbology, aim)
	fmt.Fprintf(w, "data:       %q\n", e.Data)
	if e.DigitalLink {
		fmt.Fprintln(w, "form:       GS1 Digital Link URI")
	}
	for _, a := range e.AIs {
		fmt.Fprintf(w, "  (%s) %-28s %s\n", a.AI, a.Title, a.Value)
	}
	if e.GTIN != "" {
		fmt.Fprintf(w, "GTIN:       %s\n", e.GTIN)
	}
	if e.Valid {
		fmt.Fprintln(w, "valid:      yes")
	} else {
		fmt.Fprintf(w, "valid:      no — %s (rule %s)\n", *e.Error, e.Rule)
	}
	switch {
	case e.Match == nil:
		fmt.Fprintf(w, "matches:    %s\n", e.MatchNote)
	case e.Match.Kind == "location":
		fmt.Fprintf(w, "matches:    location %s\n", e.Match.Location)
	case e.Match.Kind == "item":
		fmt.Fprintf(w, "matches:    item %s (%s)\n", e.Match.SKU, e.Match.Name)
	case e.Match.Kind == "cart":
		fmt.Fprintf(w, "matches:    cart %s\n", e.Match.Cart)
	case e.Match.Kind == "tote" && e.Match.Order != "":
		fmt.Fprintf(w, "matches:    tote %s, holding order %s\n", e.Match.Tote, e.Match.Order)
	case e.Match.Kind == "tote":
		fmt.Fprintf(w, "matches:    tote %s (free)\n", e.Match.Tote)
	case e.Match.Kind == "slot":
		fmt.Fprintf(w, "matches:    slot %d of put wall %s\n", e.Match.Slot, e.Match.Wall)
	case e.Match.Kind == "batch":
		fmt.Fprintf(w, "matches:    batch %s (sorted at %s)\n", e.Match.Batch, e.Match.Wall)
	default:
		fmt.Fprintln(w, "matches:    no location or item at this site")
	}
}
