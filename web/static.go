// Package web is every HTTP route the gateway serves, in one handler table
// (Routes): the PDA web app (/pda/) that pickers and packers use in their
// handhelds' browsers, the site's status page (/) and the JSON API it and
// other programs use, the PDA protocol's endpoint, /metrics, /readyz and
// backups. Each route has an access level (Access), and a request proves
// who it is with a status-page session, an API token, or the local socket;
// never by the address it comes from. One table maps error codes to HTTP
// statuses (writeErr).
//
// The pages are small hand-written HTML, CSS and JavaScript embedded in the
// binary, with no build step and no inline script. It must not start
// listeners or hold the daemon's state: package gateway serves Handler on
// the TCP listener and the local socket.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// sub returns the embedded directory static/name.
func sub(name string) fs.FS {
	f, err := fs.Sub(static, "static/"+name)
	if err != nil {
		panic("web: embedded " + name + ": " + err.Error()) // the directory is compiled in
	}
	return f
}

// PDA serves the PDA web app; mount it at /pda/. Paths are resolved inside
// the embedded files only, so "../" cannot reach anything else. Its camera
// decoder (static/pda/decoder) is installed there by `make deps` and is
// absent from a build without it; the app then says so. The app's pages get
// pdaCSP, which lets the decoder's WebAssembly compile.
func PDA() http.Handler {
	fs := noCache(http.StripPrefix("/pda/", http.FileServerFS(sub("pda"))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pdaCSP)
		fs.ServeHTTP(w, r)
	})
}

// noCache makes browsers revalidate the app's files, so a PDA picks up a
// new version after the gateway is upgraded.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
