// Package assets holds the stylesheet and images, embedded in the binary and
// served under /assets/ with long cache lifetimes: every URL carries the
// content's hash, so a new build never serves stale files.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
)

//go:embed *.css *.svg *.js
var files embed.FS

var versions = func() map[string]string {
	v := map[string]string{}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(files, e.Name())
		sum := sha256.Sum256(b)
		v[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return v
}()

// URL is the cache-busting address of an asset, like /assets/app.css?v=1a2b3c.
func URL(name string) string {
	return "/assets/" + name + "?v=" + versions[name]
}

// Handler serves the embedded files. Requests that name the current version
// may be cached for a year; others must revalidate.
func Handler() http.Handler {
	fileServer := http.StripPrefix("/assets/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := path.Base(r.URL.Path)
		v, ok := versions[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		fileServer.ServeHTTP(w, r)
	})
}
