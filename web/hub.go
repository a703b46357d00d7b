package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// hubTick is how often the hub looks for changes: well under the second
// within which a printer fault or a new pick must show on the page.
const hubTick = 250 * time.Millisecond

// hub pushes changes to open status pages as Server-Sent Events: "status"
// (the overview, whenever it changes) and "journal" (each new journal
// event).
type hub struct {
	s *Server

	mu      sync.Mutex
	subs    map[chan []byte]struct{}
	status  []byte // the last status pushed
	lastSeq uint64

	// stopped is closed when run returns, ending every open stream: an
	// open page must not hold up the HTTP server's graceful shutdown.
	stopped chan struct{}
}

func newHub(s *Server) *hub {
	return &hub{s: s, subs: map[chan []byte]struct{}{}, stopped: make(chan struct{})}
}

func (h *hub) run(ctx context.Context) {
	defer close(h.stopped)
	h.mu.Lock()
	h.lastSeq = h.s.opts.DB.LastSeq()
	h.mu.Unlock()
	t := time.NewTicker(hubTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.tick()
		}
	}
}

// sse formats one event.
func sse(event string, data []byte) []byte {
	return fmt.Appendf(nil, "event: %s\ndata: %s\n\n", event, data)
}

func (h *hub) tick() {
	h.mu.Lock()
	idle := len(h.subs) == 0
	if idle {
		// No page is open: nothing to read or encode. The next page
		// starts from now, with a fresh status.
		h.status, h.lastSeq = nil, h.s.opts.DB.LastSeq()
	}
	h.mu.Unlock()
	if idle {
		return
	}
	var msgs [][]byte
	if st, err := h.s.opts.Overview(); err == nil {
		if b, err := json.Marshal(st); err == nil {
			h.mu.Lock()
			if !bytes.Equal(b, h.status) {
				h.status = b
				msgs = append(msgs, sse("status", b))
			}
			h.mu.Unlock()
		}
	}
	h.mu.Lock()
	from := h.lastSeq + 1
	h.mu.Unlock()
	if h.s.opts.DB.LastSeq() >= from {
		evs, err := h.s.opts.DB.Journal(from, 1000)
		if err != nil {
			h.s.log.Warn("live updates: journal", "err", err)
		}
		for _, ev := range evs {
			if b, err := json.Marshal(ev); err == nil {
				msgs = append(msgs, sse("journal", b))
			}
			h.mu.Lock()
			h.lastSeq = ev.Seq
			h.mu.Unlock()
		}
	}
	if len(msgs) == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		for _, m := range msgs {
			select {
			case ch <- m:
			default:
				// A page that cannot keep up is dropped; its EventSource
				// reconnects and reloads what it shows.
				delete(h.subs, ch)
				close(ch)
				goto next
			}
		}
	next:
	}
}

// handleEvents: GET /api/v1/events, a Server-Sent Events stream.
func (h *hub) handleEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan []byte, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	first := h.status
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
		h.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if first != nil {
		w.Write(sse("status", first))
	}
	fmt.Fprint(w, ": connected\n\n")
	fl.Flush()
	keepalive := time.NewTicker(20 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.stopped:
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			if _, err := w.Write(m); err != nil {
				return
			}
			fl.Flush()
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}
