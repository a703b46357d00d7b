package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/scan/gs1"
)

// explanation is what floorgate makes of one scan, for support staff.
type explanation struct {
	Data        string        `json:"data"`
	AIM         string        `json:"aim"`
	Symbology   string        `json:"symbology"`
	Valid       bool          `json:"valid"`
	Error       *string       `json:"error"`
	Rule        string        `json:"rule,omitempty"`
	ErrorAI     string        `json:"error_ai,omitempty"`
	DigitalLink bool          `json:"digital_link,omitempty"`
	GTIN        string        `json:"gtin,omitempty"`
	AIs         []explainedAI `json:"ais"`
	Match       *matchInfo    `json:"match"`
	// MatchNote says why Match is missing, when it is.
	MatchNote string `json:"match_note,omitempty"`
}

type explainedAI struct {
	AI    string `json:"ai"`
	Title string `json:"title"`
	Value string `json:"value"`
}

// matchInfo is which location or item a barcode names at a site.
type matchInfo struct {
	Kind     string `json:"kind"` // location, item, or none
	Location string `json:"location,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Name     string `json:"name,omitempty"`
}

func matchInfoOf(m floorgate.Match) *matchInfo {
	switch m.Kind {
	case floorgate.MatchLocation:
		return &matchInfo{Kind: "location", Location: m.Location.Code}
	case floorgate.MatchItem:
		return &matchInfo{Kind: "item", SKU: m.Item.SKU, Name: m.Item.Name}
	}
	return &matchInfo{Kind: "none"}
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
	if len(args) == 0 || args[0] != "explain" {
		return errors.New("barcode: want: barcode explain [--json] [--addr URL] DATA")
	}
	fs := flag.NewFlagSet("barcode explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	addr := fs.String("addr", "https://127.0.0.1:8080", "the running gateway, to look the barcode up in its master data (http:// when its tls.mode is off)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(`barcode explain: want one DATA argument (a GS may be written \x1d or <GS>; an AIM id like ]C1 may lead)`)
	}
	raw := unescapeScan(fs.Arg(0))
	e := explain(raw)
	m, err := lookupRemote(ctx, *addr, e.AIM, e.Data)
	if err != nil {
		e.MatchNote = fmt.Sprintf("not looked up in master data: %v", err)
	} else {
		e.Match = m
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}
	printExplanation(stdout, e)
	return nil
}

func lookupRemote(ctx context.Context, addr, aim, data string) (*matchInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	q := url.Values{"aim": {aim}, "data": {data}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(addr, "/")+"/api/v1/barcodes/lookup?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := gatewayClient(addr, "").Do(req)
	if err != nil {
		return nil, fmt.Errorf("gateway not reachable at %s", addr)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("gateway answered %s", resp.Status)
	}
	var m matchInfo
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, err
	}
	return &m, nil
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
	default:
		fmt.Fprintln(w, "matches:    no location or item at this site")
	}
}
