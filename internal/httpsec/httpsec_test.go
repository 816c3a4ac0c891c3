package httpsec

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWrap: every answer carries the policy's headers, the fixed ones, and the frame denial
// only when asked.
func TestWrap(t *testing.T) {
	ok := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusTeapot) })
	for _, p := range []Policy{
		{CSP: "default-src 'self'", Referrer: "no-referrer"},
		{CSP: "default-src 'none'", Referrer: "same-origin", DenyFrames: true},
	} {
		rec := httptest.NewRecorder()
		p.Wrap(ok).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		h := rec.Header()
		if rec.Code != http.StatusTeapot || h.Get("Content-Security-Policy") != p.CSP || h.Get("Referrer-Policy") != p.Referrer ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%+v: %d %v", p, rec.Code, h)
		}
		if frames := h.Get("X-Frame-Options"); (frames == "DENY") != p.DenyFrames {
			t.Errorf("%+v: X-Frame-Options %q", p, frames)
		}
	}
}
