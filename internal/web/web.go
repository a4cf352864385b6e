// Package web serves the settings page: a few static files embedded in the binary, a client
// of the public REST API under /v1/ and nothing else. The page has no build step: what is in
// static/ is what the browser gets.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with the page and each of its assets: scripts, styles, images
// and requests from the page's own origin only, no inline script or style, no forms posted
// anywhere, and no framing (clickjacking).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// asset is one embedded file with its strong ETag (a hash of its bytes).
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Assets lists the URL paths the page is served under, "/" first.
func Assets() []string {
	out := []string{"/"}
	for p := range assets {
		if p != "/" {
			out = append(out, p)
		}
	}
	return out
}

var assets = load()

func load() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(p))
		if path.Ext(p) == ".js" {
			ct = "text/javascript; charset=utf-8" // the same on every machine, whatever its mime tables say
		}
		urlPath := "/" + p[len("static/"):]
		if urlPath == "/index.html" {
			urlPath = "/"
		}
		out[urlPath] = asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		panic("web: reading the embedded page: " + err.Error()) // the embed is fixed at build time
	}
	return out
}

// Handler serves the page at "/" and its assets at their paths, for GET and HEAD; any other
// path or method goes to notFound. Every answer is revalidated (no-cache with an ETag), so a
// new binary's page is never mixed with an old one's script.
func Handler(notFound http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			notFound.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}
