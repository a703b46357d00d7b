package web

import (
	"net/http"
	"strings"
)

// Route is one entry of the gateway's handler table: every HTTP route the
// gateway serves, on its TCP listener and on the local socket alike, is
// here and nowhere else.
type Route struct {
	// Pattern is the http.ServeMux pattern, "METHOD /path".
	Pattern string
	// Access says who may use it.
	Access Access
	// Action names an audited change ("task.cancel"); empty for reads.
	Action string

	handler http.HandlerFunc
}

// Method and Path split the pattern.
func (rt Route) Method() string { m, _, _ := strings.Cut(rt.Pattern, " "); return m }

// Path is the pattern's path.
func (rt Route) Path() string { _, p, _ := strings.Cut(rt.Pattern, " "); return p }

// Routes is the handler table.
func (s *Server) Routes() []Route {
	pages := noCache(http.FileServerFS(sub("admin")))
	return []Route{
		// The pages and the PDA endpoint (which checks each device's token).
		{Pattern: "GET /{$}", handler: pages.ServeHTTP},
		{Pattern: "GET /ui/", handler: noCache(http.StripPrefix("/ui/", http.FileServerFS(sub("admin")))).ServeHTTP},
		{Pattern: "GET /pda/", handler: PDA().ServeHTTP},
		{Pattern: "GET /pda", handler: http.RedirectHandler("/pda/", http.StatusMovedPermanently).ServeHTTP},
		{Pattern: "GET /wall/{id}", handler: wallPage()},
		{Pattern: "GET /wall/assets/", handler: wallAssets().ServeHTTP},
		{Pattern: "GET /ws/v1", handler: s.handlePDA},
		{Pattern: "GET /healthz", handler: handleHealth},
		{Pattern: "GET /readyz", handler: s.handleReady},
		{Pattern: "GET /metrics", Access: Read, handler: s.handleMetrics},

		// Signing in, and pairing a PDA with a code an admin showed.
		{Pattern: "POST /api/v1/session", handler: s.handleSignIn},
		{Pattern: "GET /api/v1/session", handler: s.handleWhoAmI},
		{Pattern: "DELETE /api/v1/session", handler: s.handleSignOut},
		{Pattern: "POST /api/v1/pair", handler: s.handlePair},

		// Reads.
		{Pattern: "GET /api/v1/status", Access: Read, handler: s.handleStatus},
		{Pattern: "GET /api/v1/events", Access: Read, handler: s.hub.handleEvents},
		{Pattern: "GET /api/v1/kpi", Access: Read, handler: s.handleKPI},
		{Pattern: "GET /api/v1/kpi.csv", Access: Read, handler: s.handleKPICSV},
		{Pattern: "GET /api/v1/timelines.csv", Access: Read, handler: s.handleTimelinesCSV},
		{Pattern: "GET /api/v1/exceptions", Access: Read, handler: s.handleExceptions},
		{Pattern: "GET /api/v1/exceptions/{id}", Access: Read, handler: s.handleException},
		{Pattern: "GET /api/v1/devices", Access: Read, handler: s.handleDevices},
		{Pattern: "GET /api/v1/operators", Access: Read, handler: s.handleOperators},
		{Pattern: "GET /api/v1/tasks", Access: Read, handler: s.handleTasks},
		{Pattern: "GET /api/v1/waves", Access: Read, handler: s.handleWaves},
		{Pattern: "GET /api/v1/sla", Access: Read, handler: s.handleSLA},
		{Pattern: "GET /api/v1/orders/{order}/timeline", Access: Read, handler: s.handleTimeline},
		{Pattern: "GET /api/v1/carts", Access: Read, handler: s.handleCarts},
		{Pattern: "GET /api/v1/walls", Access: Read, handler: s.handleWalls},
		{Pattern: "GET /api/v1/walls/{id}", Access: Read, handler: s.handleWall},
		{Pattern: "GET /api/v1/audit", Access: Read, handler: s.handleAudit},
		{Pattern: "GET /api/v1/deadletters", Access: Read, handler: s.handleDeadLetters},
		{Pattern: "GET /api/v1/barcodes/lookup", Access: Read, handler: s.handleLookup},
		{Pattern: "GET /api/v1/printjobs", Access: Read, handler: s.handlePrintJobs},
		{Pattern: "GET /api/v1/printjobs/{id}/preview.png", Access: Read, handler: s.handlePreview},
		{Pattern: "GET /api/v1/labels", Access: Read, handler: s.handleLabels},
		{Pattern: "GET /api/v1/printers", Access: Read, handler: s.handlePrinters},
		{Pattern: "GET /api/v1/scanners", Access: Read, handler: s.handleScanners},
		{Pattern: "GET /api/v1/devices/enrol/{code}/qr.png", Access: Read, handler: s.handleEnrolQR},

		// Changes, each audited: a supervisor's, then an admin's.
		{Pattern: "POST /api/v1/waves/{id}/release", Access: Supervise, Action: "wave.release", handler: s.handleReleaseWave},
		{Pattern: "POST /api/v1/exceptions/{id}/resolve", Access: Supervise, Action: "exception.resolve", handler: s.handleResolve},
		{Pattern: "POST /api/v1/tasks", Access: Admin, Action: "task.import", handler: s.handleImport},
		{Pattern: "POST /api/v1/tasks/{id}/cancel", Access: Admin, Action: "task.cancel", handler: s.handleCancel},
		{Pattern: "POST /api/v1/tasks/{id}/reassign", Access: Admin, Action: "task.reassign", handler: s.handleReassign},
		{Pattern: "POST /api/v1/devices/{id}/disable", Access: Admin, Action: "device.disable", handler: s.handleDisable(true)},
		{Pattern: "POST /api/v1/devices/{id}/enable", Access: Admin, Action: "device.enable", handler: s.handleDisable(false)},
		{Pattern: "POST /api/v1/devices/enrol", Access: Admin, Action: "device.pairing_code", handler: s.handleEnrol},
		{Pattern: "POST /api/v1/printjobs/{id}/reprint", Access: Admin, Action: "printjob.reprint", handler: s.handleReprint},
		{Pattern: "POST /api/v1/deadletters/{seq}/retry", Access: Admin, Action: "deadletter.retry", handler: s.handleRetry},
		{Pattern: "GET /api/v1/backup", Access: Admin, Action: "backup", handler: s.handleBackup},
		{Pattern: "POST /api/v1/master", Access: Admin, Action: "master.import", handler: s.handleMaster},
		{Pattern: "POST /api/v1/operators", Access: Admin, Action: "operator.put", handler: s.handlePutOperator},
		{Pattern: "POST /api/v1/operators/{id}/pin", Access: Admin, Action: "operator.set_pin", handler: s.handleSetPIN},
		{Pattern: "POST /api/v1/operators/{id}/disable", Access: Admin, Action: "operator.disable", handler: s.handleOperatorDisabled(true)},
		{Pattern: "POST /api/v1/operators/{id}/enable", Access: Admin, Action: "operator.enable", handler: s.handleOperatorDisabled(false)},
		{Pattern: "GET /api/v1/tokens", Access: Admin, handler: s.handleTokens},
		{Pattern: "POST /api/v1/tokens", Access: Admin, Action: "token.create", handler: s.handleCreateToken},
		{Pattern: "POST /api/v1/tokens/{id}/revoke", Access: Admin, Action: "token.revoke", handler: s.handleRevokeToken},
	}
}

// Handler serves the handler table. Mount the same handler on the TCP
// listener and on the local socket (whose server sets LocalConnContext).
// Requests from another origin that try to change something are refused
// (http.CrossOriginProtection), whatever credentials they carry.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		mux.HandleFunc(rt.Pattern, s.guard(rt))
	}
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeErrStatus(w, http.StatusForbidden, "forbidden", "a request from another web site may not change the gateway")
	}))
	return SecurityHeaders(cop.Handler(mux), s.opts.SecureCookies)
}
