package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/store"
)

func handleHealth(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") }

// handleReady: GET /readyz — 200 once the gateway serves, 503 with the
// reason otherwise.
func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	if s.opts.Ready != nil {
		if err := s.opts.Ready(); err != nil {
			http.Error(w, "not ready: "+floorgate.ErrorMessage(err)+"\n", http.StatusServiceUnavailable)
			return
		}
	}
	io.WriteString(w, "ready\n")
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.opts.Metrics == nil {
		writeErr(w, floorgate.Errorf(floorgate.ENOTFOUND, "no metrics"))
		return
	}
	s.opts.Metrics.Handler().ServeHTTP(w, r)
}

// handlePDA hands the PDA protocol's WebSocket to its server.
func (s *Server) handlePDA(w http.ResponseWriter, r *http.Request) {
	if s.opts.PDA == nil {
		writeErr(w, floorgate.Errorf(floorgate.EUNAVAILABLE, "no PDA endpoint"))
		return
	}
	s.opts.PDA.ServeHTTP(w, r)
}

// handleStatus: GET /api/v1/status.
func (s *Server) handleStatus(w http.ResponseWriter, _ *http.Request) {
	st, err := s.opts.Overview()
	if err != nil {
		s.log.Error("status", "err", err)
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// handleLookup: GET /api/v1/barcodes/lookup?data=&aim= — which location or
// item scanned data names here.
func (s *Server) handleLookup(w http.ResponseWriter, r *http.Request) {
	data := r.URL.Query().Get("data")
	if data == "" || len(data) > 4096 {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "data must be 1 to 4096 bytes"))
		return
	}
	writeJSON(w, http.StatusOK, floorgate.MatchInfoOf(s.opts.DB.Lookup(r.URL.Query().Get("aim"), data)))
}

func (s *Server) handleDeadLetters(w http.ResponseWriter, _ *http.Request) {
	dl, err := s.opts.DB.DeadLetters()
	writeList(w, dl, err)
}

// writeList answers a list, [] rather than null when it is empty.
func writeList[T any](w http.ResponseWriter, items []T, err error) {
	if err != nil {
		writeErr(w, err)
		return
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, items)
}

func (s *Server) handleRetry(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "seq %q is not a number", r.PathValue("seq")))
		return
	}
	if err := s.opts.DB.RetryDeadLetter(r.Context(), seq); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"retrying": seq})
}

// handleImport: POST /api/v1/tasks — a task file, imported whole or not
// at all.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) {
	tasks, err := floorgate.DecodeTasks(http.MaxBytesReader(w, r.Body, 64<<20))
	if err != nil {
		writeErr(w, err)
		return
	}
	added, err := s.opts.DB.ImportTasks(r.Context(), tasks)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"received": len(tasks), "added": added})
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Reason string `json:"reason"`
	}
	if !decodeBody(w, r, &body, `{"reason": "…"}`) {
		return
	}
	if body.Reason == "" {
		writeErr(w, floorgate.Errorf(floorgate.EINVALID, "body must be {\"reason\": \"…\"}"))
		return
	}
	if err := s.opts.DB.CancelTask(withDetail(r, body.Reason), r.PathValue("id"), body.Reason); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"cancelled": r.PathValue("id")})
}

func (s *Server) handlePrinters(w http.ResponseWriter, _ *http.Request) {
	if s.opts.Printers == nil {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	writeList(w, s.opts.Printers(), nil)
}

func (s *Server) handleScanners(w http.ResponseWriter, _ *http.Request) {
	writeList(w, s.opts.Scanners(), nil)
}

func (s *Server) handlePrintJobs(w http.ResponseWriter, _ *http.Request) {
	jobs, err := s.opts.DB.PrintJobs()
	writeList(w, jobs, err)
}

// handlePreview renders a job's label as PNG, as it will print.
func (s *Server) handlePreview(w http.ResponseWriter, r *http.Request) {
	jobs, err := s.opts.DB.PrintJobs()
	if err != nil {
		writeErr(w, err)
		return
	}
	for _, j := range jobs {
		if j.ID != r.PathValue("id") {
			continue
		}
		png, err := s.opts.Preview(j)
		if err != nil {
			writeErr(w, floorgate.Errorf(floorgate.EINVALID, "label: %v", err))
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
		return
	}
	writeErr(w, floorgate.Errorf(floorgate.ENOTFOUND, "no print job %q", r.PathValue("id")))
}

// handleReprint queues an audited reprint: who and why are required.
func (s *Server) handleReprint(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Operator string `json:"operator"`
		Reason   string `json:"reason"`
	}
	if !decodeBody(w, r, &body, `{"operator": "…", "reason": "…"}`) {
		return
	}
	ctx := r.Context()
	if a, ok := store.AuditFrom(ctx); ok {
		if body.Operator == "" && a.Role != "local" && a.Role != "token-admin" {
			body.Operator = a.Actor // the admin signed in on the status page
		}
		a.Detail = body.Reason
		ctx = store.Audited(ctx, a)
	}
	j, err := s.opts.DB.Reprint(ctx, r.PathValue("id"), body.Operator, body.Reason)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

// handleBackup: GET /api/v1/backup — a consistent copy of the live
// database, streamed as it is read. It holds PIN hashes, so it is an
// admin's: the local socket, an admin token or an admin's session; the
// copy is audited.
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.DB.Audit(r.Context()); err != nil {
		writeErr(w, err)
		return
	}
	site := s.opts.DB.Site()
	name := fmt.Sprintf("floorgate-%s-%s-%s.db", site.ID, site.Gateway, s.now().UTC().Format("20060102T150405Z"))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Trailer", floorgate.BackupBytesTrailer)
	start := time.Now()
	n, err := s.opts.DB.Backup(w)
	if err != nil {
		s.log.Error("backup", "err", err, "bytes", n, "remote", r.RemoteAddr)
		if n == 0 {
			writeErr(w, floorgate.Errorf(floorgate.EUNAVAILABLE, "backup failed: %v", err))
			return
		}
		// Part of it went out: break the connection so the client sees
		// a cut stream, never a short file that looks whole.
		panic(http.ErrAbortHandler)
	}
	w.Header().Set(floorgate.BackupBytesTrailer, strconv.FormatInt(n, 10))
	s.log.Info("backup served", "bytes", n, "took", time.Since(start).Round(time.Millisecond), "remote", r.RemoteAddr)
}

// writeErrStatus answers with an explicit status and code.
func writeErrStatus(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errBody{Code: code, Error: msg})
}
