package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/connectflo/integrations/internal/web"
)

// notFound stands for the server's answer to unknown routes.
var notFound = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })

func TestHandlerServesThePageAndItsAssetsOnly(t *testing.T) {
	tests := []struct {
		method, path string
		wantStatus   int
		wantType     string // "" when the request goes to notFound
	}{
		{"GET", "/", 200, "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "text/html; charset=utf-8"},
		{"GET", "/app.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/app.css", 200, "text/css; charset=utf-8"},
		{"GET", "/index.html", http.StatusTeapot, ""}, // the page has one address
		{"GET", "/nope", http.StatusTeapot, ""},
		{"GET", "/static/app.js", http.StatusTeapot, ""},
		{"POST", "/", http.StatusTeapot, ""},
		{"DELETE", "/app.js", http.StatusTeapot, ""},
	}
	h := web.Handler(notFound)
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantType == "" {
				return
			}
			got := map[string]string{}
			for _, k := range []string{"Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Cache-Control"} {
				got[k] = rec.Header().Get(k)
			}
			want := map[string]string{
				"Content-Type":            tc.wantType,
				"Content-Security-Policy": web.ContentSecurityPolicy,
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
				"Cache-Control":           "no-cache",
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("headers (-want +got):\n%s", d)
			}
			if rec.Header().Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

// A revalidation with the ETag is answered 304 without the body.
func TestHandlerRevalidatesWithTheETag(t *testing.T) {
	h := web.Handler(notFound)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/app.js", nil))
	req := httptest.NewRequest("GET", "/app.js", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	again := httptest.NewRecorder()
	h.ServeHTTP(again, req)
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 without a body", again.Code, again.Body.Len())
	}
}

var scriptTag = regexp.MustCompile(`(?i)<script[^>]*>`)

// The policy forbids inline script and style: the page must not need them, and must load
// nothing from another origin.
func TestPageHasNoInlineScriptStyleOrForeignURL(t *testing.T) {
	h := web.Handler(notFound)
	forbidden := []struct {
		what string
		re   *regexp.Regexp
	}{
		{"a style attribute", regexp.MustCompile(`(?i)\sstyle\s*=`)},
		{"a <style> element", regexp.MustCompile(`(?i)<style`)},
		{"an event handler attribute", regexp.MustCompile(`(?i)\son[a-z]+\s*=`)},
		{"a javascript: URL", regexp.MustCompile(`(?i)javascript:`)},
		{"an absolute URL to another origin", regexp.MustCompile(`(?i)(?:src|href)\s*=\s*"(?:https?:)?//`)},
		{"innerHTML (text is set as text)", regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write`)},
	}
	for _, p := range web.Assets() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		body, _ := io.ReadAll(rec.Body)
		if strings.HasSuffix(p, ".css") {
			continue
		}
		for _, tag := range scriptTag.FindAll(body, -1) {
			if !strings.Contains(string(tag), ` src="`) {
				t.Errorf("%s has an inline script: %s", p, tag)
			}
		}
		for _, f := range forbidden {
			if loc := f.re.FindIndex(body); loc != nil {
				t.Errorf("%s has %s: %q", p, f.what, body[loc[0]:min(loc[1]+20, len(body))])
			}
		}
	}
}
