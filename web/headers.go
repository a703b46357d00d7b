package web

import (
	"net/http"
	"path"
	"strings"
)

// ContentSecurityPolicy is the policy every page and API answer carries.
// The pages load their script and style from their own files only: no
// inline <script>, no style="…" attribute, no on…= handler attribute, no
// eval. Whatever an injected string manages to put into the page cannot
// run. connect-src 'self' covers the page's fetch, EventSource and the PDA
// app's WebSocket to the same host and port (CSP Level 3 lets 'self' match
// ws: from an http: page and wss: from an https: one; Chromium does, and
// TestPagesRunUnderTheCSP proves it for the PDA app). Nothing else is
// allowed: no plugins, no fonts or media from anywhere, no framing by
// another site, no <base>, and no form submission (both pages send their
// forms with fetch, so a form posted by the browser itself — the page's
// script failed to load — cannot put a PIN in a URL).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// pdaCSP is the PDA app's policy (PDA sets it over ContentSecurityPolicy):
// the same, and 'wasm-unsafe-eval', which lets the camera scan mode compile
// its decoder (static/pda/decoder/zxing_reader.wasm, served by the gateway
// like the script). It allows WebAssembly only, not eval or inline script.
const pdaCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// imageCSP is the policy of a raster image (a label preview, a pairing QR
// code). Opened on its own, as the print queue's preview link does, the
// image is shown in a document the browser builds itself, with style
// attributes of its own; an image runs no script, so allowing those
// attributes there gives nothing away.
const imageCSP = "default-src 'none'; img-src 'self'; style-src-attr 'unsafe-inline'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// hstsValue asks browsers to use https for a year once they have seen the
// gateway over TLS.
const hstsValue = "max-age=31536000"

// SecurityHeaders wraps every page and API answer of the gateway with the
// browser's security headers: the content security policy above (imageCSP
// for a path ending in a raster image's extension), no framing
// (X-Frame-Options for browsers older than frame-ancestors), no Referer
// sent anywhere (a pairing URL carries its code), and no MIME sniffing.
// hsts adds Strict-Transport-Security: set it only when the listener speaks
// TLS, since over plain HTTP the header means nothing, and it would keep
// browsers from a gateway that later turns TLS off.
func SecurityHeaders(next http.Handler, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		csp := ContentSecurityPolicy
		switch strings.ToLower(path.Ext(r.URL.Path)) {
		case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico":
			csp = imageCSP
		}
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		if hsts {
			h.Set("Strict-Transport-Security", hstsValue)
		}
		next.ServeHTTP(w, r)
	})
}
