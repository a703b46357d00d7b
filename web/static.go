// Package web serves floorgate's own pages from files embedded in the
// binary: the PDA web app (/pda/) that pickers and packers use in their
// handhelds' browsers, and the site's status page (/) with its JSON API.
// Small hand-written HTML, CSS and JavaScript; no build step.
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
// the embedded files only, so "../" cannot reach anything else.
func PDA() http.Handler {
	return noCache(http.StripPrefix("/pda/", http.FileServerFS(sub("pda"))))
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
