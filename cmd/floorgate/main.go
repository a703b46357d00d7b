// Command floorgate is the warehouse-floor gateway: the daemon (run) and
// the tools around it. Its commands are package cli; the daemon is package
// gateway, every HTTP route is package web, and every command that talks
// to a running gateway does so through package client.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/cli"
)

func main() {
	gateway.TuneProcessGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
