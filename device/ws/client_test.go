package ws_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/floorgate/floorgate/device/ws/wsclient"
)

// These tests are about wsclient's own promises; the server's are in
// server_test.go.

func TestClientPushesDropOldest(t *testing.T) {
	e := start(t, ws.Options{})
	c, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const sent = wsclient.PushBuffer + 4
	for i := 1; i <= sent; i++ {
		e.srv.Notify(floorgate.Notice{Device: "pda-1", Kind: floorgate.NoticeTaskAssigned, Task: fmt.Sprintf("T-%d", i)})
	}
	// The pushes were queued before this verdict, so the client has read
	// them all when Scan returns.
	if _, err := c.Scan(ctx(t), floorgate.Scan{ID: "s-1", Data: "LOC-A-01"}); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Pushes()); n != wsclient.PushBuffer {
		t.Fatalf("%d pushes waiting, want %d", n, wsclient.PushBuffer)
	}
	for i := sent - wsclient.PushBuffer + 1; i <= sent; i++ {
		if n := <-c.Pushes(); n.Task != fmt.Sprintf("T-%d", i) {
			t.Fatalf("push %s, want T-%d: the oldest must go first", n.Task, i)
		}
	}

	// A picker asks for the next task and gets its prompt back.
	p, err := c.Next(ctx(t), "n-1")
	if err != nil || p.Step != "scan_location" || p.Task != "T-next" {
		t.Errorf("Next = %+v, %v", p, err)
	}
}

func TestClientAbandonedRequest(t *testing.T) {
	e := start(t, ws.Options{})
	c, _, err := wsclient.Dial(ctx(t), e.url, "pda-1", "tok-1", "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// A request whose caller gives up: its late answer must not be taken
	// for the next request's.
	gaveUp, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Scan(gaveUp, floorgate.Scan{ID: "s-late", Data: "HOLD"})
		done <- err
	}()
	select {
	case <-e.floor.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the scan did not reach the floor")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned scan returned %v", err)
	}
	e.floor.hold <- struct{}{} // the late verdict goes out now

	v, err := c.Scan(ctx(t), floorgate.Scan{ID: "s-next", Data: "LOC-A-01"})
	if err != nil || v.ScanID != "s-next" || v.Code != floorgate.CodeLocationOK {
		t.Fatalf("next scan = %+v, %v", v, err)
	}

	if _, err := c.Scan(ctx(t), floorgate.Scan{Data: "LOC-A-01"}); floorgate.ErrorCode(err) != floorgate.EINVALID {
		t.Errorf("scan without an id: %v", err)
	}
	c.Close()
	if _, err := c.Scan(ctx(t), floorgate.Scan{ID: "s-after", Data: "LOC-A-01"}); !errors.Is(err, wsclient.ErrClosed) {
		t.Errorf("scan after Close: %v", err)
	}
	if !errors.Is(c.Err(), wsclient.ErrClosed) {
		t.Errorf("Err() after Close = %v", c.Err())
	}
	if _, open := <-c.Pushes(); open {
		t.Error("Pushes still open after Close")
	}
}
