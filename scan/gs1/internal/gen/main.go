// Command gen writes package gs1's AI table (ai_table.go) from GS1's Barcode
// Syntax Dictionary. It is run by go generate in scan/gs1:
//
//	go run ./internal/gen -in <gs1-syntax-dictionary.txt> -out ai_table.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/floorgate/floorgate/scan/gs1/internal/syntaxdict"
)

func main() {
	in := flag.String("in", "", "the GS1 Barcode Syntax Dictionary (gs1-syntax-dictionary.txt)")
	out := flag.String("out", "ai_table.go", "the Go file to write")
	flag.Parse()
	if *in == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -in gs1-syntax-dictionary.txt [-out ai_table.go]")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	d, err := syntaxdict.Parse(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", in, err)
	}
	src, err := syntaxdict.Render(d)
	if err != nil {
		return err
	}
	// Write beside the target and rename, so a failed run never leaves a
	// half-written table that breaks the build.
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, src, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
