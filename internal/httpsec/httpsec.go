// Package httpsec sets the security headers of the program's web pages (the web chat, the
// desk), so that what every page must send is written once.
package httpsec

import "net/http"

// Policy is what a site allows a browser to do with its pages.
type Policy struct {
	// CSP is the Content-Security-Policy: which scripts, styles and images run or load.
	CSP string
	// Referrer is the Referrer-Policy.
	Referrer string
	// DenyFrames adds X-Frame-Options: DENY, for browsers that do not read frame-ancestors.
	DenyFrames bool
}

// Wrap answers every request of next with the policy's headers, and with no sniffing of
// content types and no caching: the pages show reports and clues.
func (p Policy) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Security-Policy", p.CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", p.Referrer)
		if p.DenyFrames {
			h.Set("X-Frame-Options", "DENY")
		}
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(rw, r)
	})
}
