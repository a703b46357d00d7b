package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cmdline"
)

// statusCommand prints what /api/v1/status knows, for a person.
func statusCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", "", "Show the running gateway's state: upstream link, outbox, printers, scanners, PDAs.", stdout, stderr)
	t := targetFlags(fs)
	asJSON := fs.Bool("json", false, "print the status as JSON")
	if err := fs.ParseArgs(args, 0); err != nil {
		return err
	}
	return t.withClient(ctx, func(c *client.Client) error {
		var st gateway.Status
		if err := c.Get(ctx, "/api/v1/status", &st); err != nil {
			return fmt.Errorf("status: %w", err)
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		printStatus(stdout, st)
		return nil
	})
}

func printStatus(w io.Writer, st gateway.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "gateway\t%s/%s, floorgate %s\n", st.Site, st.Gateway, st.Version)
	up := "connected to " + st.Upstream.Broker
	if !st.Upstream.Connected {
		up = "NOT connected"
		if st.Upstream.LastError != "" {
			up += ": " + st.Upstream.LastError
		}
	}
	fmt.Fprintf(tw, "upstream\t%s\n", up)
	fmt.Fprintf(tw, "outbox\t%d events waiting (oldest %.0f s), %d dead letters, last seq %d\n",
		st.Outbox.Depth, st.OldestUnsentS, st.Outbox.DeadLetters, st.Counts.LastSeq)
	fmt.Fprintf(tw, "tasks\t%d waiting\n", st.Counts.PendingTasks)
	fmt.Fprintf(tw, "PDAs\t%d connected\n", len(st.Connected))
	for _, p := range st.Printers {
		state := p.State
		if p.Detail != "" {
			state += ": " + p.Detail
		}
		fmt.Fprintf(tw, "printer %s\t%s\n", p.ID, state)
	}
	for _, x := range st.StationsWithoutPrinter {
		fmt.Fprintf(tw, "station %s\tNO PRINTER: %s\n", x.Station, x.Reason)
	}
	for _, s := range st.Scanners {
		state := string(s.Status)
		if s.Reason != "" {
			state += ": " + s.Reason
		}
		fmt.Fprintf(tw, "scanner %s\t%s\n", s.Name, state)
	}
	if st.TLSFingerprint != "" {
		fmt.Fprintf(tw, "certificate\t%s\n", st.TLSFingerprint)
	}
	tw.Flush()
}

// readPIN reads a PIN from standard input, so it is never on a command
// line that other users can see in the process list: typed without echo at
// a terminal, or one line from a pipe.
func readPIN(stdin io.Reader, stderr io.Writer, who string) (string, error) {
	fmt.Fprintf(stderr, "PIN for %s (4 to 12 digits), then Enter: ", who)
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pin, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read the PIN: %w", err)
		}
		return strings.TrimSpace(string(pin)), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read the PIN from standard input: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// stdin is where commands read PINs; tests replace it.
var stdin io.Reader = os.Stdin

func operatorsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := cmdline.Subcommand(prog, "operators", args, map[string]string{
		"add":     "add an operator (or replace one with the same id); the PIN is read from standard input",
		"list":    "list the operators",
		"disable": "stop an operator signing in anywhere (signs them out)",
		"enable":  "let a disabled operator sign in again",
		"set-pin": "give an operator a new PIN, read from standard input",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		fs := newFlags("operators add", "--id ID --name NAME --badge BADGE --role ROLE", "Add an operator, or replace the one with this id. The PIN is read from standard input (or --pin-hash).", stdout, stderr)
		t := targetFlags(fs)
		id, name := fs.String("id", "", "operator id"), fs.String("name", "", "the person's name")
		badge := fs.String("badge", "", "the badge barcode they sign in with")
		role := fs.String("role", "", "picker, packer, supervisor or admin")
		hash := fs.String("pin-hash", "", "a PBKDF2 PIN hash instead of reading a PIN")
		if err := fs.ParseArgs(args, 0); err != nil {
			return err
		}
		op := map[string]string{"id": *id, "name": *name, "badge": *badge, "role": *role}
		if *hash != "" {
			op["pin_hash"] = *hash
		} else {
			pin, err := readPIN(stdin, stderr, *id)
			if err != nil {
				return err
			}
			op["pin"] = pin
		}
		return t.withClient(ctx, func(c *client.Client) error {
			if err := c.Post(ctx, "/api/v1/operators", op, nil); err != nil {
				return fmt.Errorf("operators add: %w", err)
			}
			fmt.Fprintf(stdout, "operator %s (%s) saved\n", *id, *role)
			return nil
		})
	case "list":
		fs := newFlags("operators list", "", "List the operators (never their PINs).", stdout, stderr)
		t := targetFlags(fs)
		if err := fs.ParseArgs(args, 0); err != nil {
			return err
		}
		return t.withClient(ctx, func(c *client.Client) error {
			var ops []floorgate.Operator
			if err := c.Get(ctx, "/api/v1/operators", &ops); err != nil {
				return fmt.Errorf("operators list: %w", err)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tBADGE\tROLE\tSTATE")
			for _, o := range ops {
				state := "active"
				if o.Disabled {
					state = "disabled"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Badge, o.Role, state)
			}
			return tw.Flush()
		})
	case "disable", "enable", "set-pin":
		fs := newFlags("operators "+sub, "ID", map[string]string{"disable": "Stop an operator signing in anywhere; whoever is signed in is signed out.",
			"enable": "Let a disabled operator sign in again.", "set-pin": "Give an operator a new PIN, read from standard input (or --pin-hash)."}[sub], stdout, stderr)
		t := targetFlags(fs)
		var hash *string
		if sub == "set-pin" {
			hash = fs.String("pin-hash", "", "a PBKDF2 PIN hash instead of reading a PIN")
		}
		if err := fs.ParseArgs(args, 1); err != nil {
			return err
		}
		id := fs.Arg(0)
		path, body := "/api/v1/operators/"+url.PathEscape(id)+"/"+sub, any(nil)
		if sub == "set-pin" {
			path = "/api/v1/operators/" + url.PathEscape(id) + "/pin"
			if *hash != "" {
				body = map[string]string{"pin_hash": *hash}
			} else {
				pin, err := readPIN(stdin, stderr, id)
				if err != nil {
					return err
				}
				body = map[string]string{"pin": pin}
			}
		}
		return t.withClient(ctx, func(c *client.Client) error {
			if err := c.Post(ctx, path, body, nil); err != nil {
				return fmt.Errorf("operators %s %s: %w", sub, id, err)
			}
			fmt.Fprintf(stdout, "operator %s: %s done\n", id, sub)
			return nil
		})
	}
	return nil
}

func masterCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := cmdline.Subcommand(prog, "master", args, map[string]string{
		"import": "import locations, items and operators from a JSON file (master.put's data), whole or not at all",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	_ = sub
	fs := newFlags("master import", "FILE", "Import master data from a JSON file shaped like master.put's data (docs/mqtt-contract.md): locations, items, operators with pin or pin_hash. Everything is checked first; nothing is applied unless all of it is valid.", stdout, stderr)
	t := targetFlags(fs)
	if err := fs.ParseArgs(args, 1); err != nil {
		return err
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("master import: %w", err)
	}
	return t.withClient(ctx, func(c *client.Client) error {
		var n struct{ Locations, Items, Operators int }
		if err := c.Post(ctx, "/api/v1/master", raw, &n); err != nil {
			return fmt.Errorf("master import %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "imported %d locations, %d items, %d operators\n", n.Locations, n.Items, n.Operators)
		return nil
	})
}

func tokensCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, args, err := cmdline.Subcommand(prog, "tokens", args, map[string]string{
		"create": "make an API token (read or admin); its secret is printed once",
		"list":   "list the API tokens (never their secrets)",
		"revoke": "end an API token at once",
	}, stdout, stderr)
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		fs := newFlags("tokens create", "NAME", "Make an API token for another program. The secret is printed once and kept only as a hash.", stdout, stderr)
		t := targetFlags(fs)
		scope := fs.String("scope", "read", "read (every read of the API) or admin (reads and changes)")
		if err := fs.ParseArgs(args, 1); err != nil {
			return err
		}
		return t.withClient(ctx, func(c *client.Client) error {
			var tok struct{ ID, Token, Scope string }
			if err := c.Post(ctx, "/api/v1/tokens", map[string]string{"name": fs.Arg(0), "scope": *scope}, &tok); err != nil {
				return fmt.Errorf("tokens create: %w", err)
			}
			fmt.Fprintf(stdout, "%s\n", tok.Token)
			fmt.Fprintf(stderr, "token %s (%s, id %s): keep the line above secret; it is not shown again. Revoke: floorgate tokens revoke %s\n", fs.Arg(0), tok.Scope, tok.ID, tok.ID)
			return nil
		})
	case "list":
		fs := newFlags("tokens list", "", "List the API tokens.", stdout, stderr)
		t := targetFlags(fs)
		if err := fs.ParseArgs(args, 0); err != nil {
			return err
		}
		return t.withClient(ctx, func(c *client.Client) error {
			var toks []struct {
				ID, Name, Scope  string
				CreatedBy        string `json:"created_by"`
				Created, Revoked time.Time
			}
			if err := c.Get(ctx, "/api/v1/tokens", &toks); err != nil {
				return fmt.Errorf("tokens list: %w", err)
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tCREATED\tBY\tSTATE")
			for _, k := range toks {
				state := "active"
				if !k.Revoked.IsZero() {
					state = "revoked " + k.Revoked.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Scope, k.Created.Format(time.RFC3339), k.CreatedBy, state)
			}
			return tw.Flush()
		})
	case "revoke":
		fs := newFlags("tokens revoke", "ID", "End an API token at once.", stdout, stderr)
		t := targetFlags(fs)
		if err := fs.ParseArgs(args, 1); err != nil {
			return err
		}
		return t.withClient(ctx, func(c *client.Client) error {
			if err := c.Post(ctx, "/api/v1/tokens/"+url.PathEscape(fs.Arg(0))+"/revoke", nil, nil); err != nil {
				return fmt.Errorf("tokens revoke: %w", err)
			}
			fmt.Fprintf(stdout, "token %s revoked\n", fs.Arg(0))
			return nil
		})
	}
	return nil
}
