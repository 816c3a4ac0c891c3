package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newDeskProgram is a desk browser test's program (newBrowserProgram) and the two minutes
// the whole test may take.
func newDeskProgram(t *testing.T) (context.Context, *browserProgram) {
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	t.Cleanup(cancel)
	return ctx, newBrowserProgram(t, ctx)
}

// serveDesk starts the program's server and a Chromium whose language is lang, and returns
// the server's address and the browser's first tab.
func serveDesk(t *testing.T, ctx context.Context, prog *browserProgram, lang string) (string, *deskTab) {
	url := prog.serve()
	return url, newDeskTab(t, openBrowser(t, ctx, lang))
}

// deskTab drives one browser context of a desk test: steps that fail the test with the page's
// text, the text of an element, and screenshots into the folder XUNCHA_DESK_SCREENSHOTS names
// (none when it is empty).
type deskTab struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

func newDeskTab(t *testing.T, ctx context.Context) *deskTab {
	return &deskTab{t: t, ctx: ctx, shots: os.Getenv("XUNCHA_DESK_SCREENSHOTS")}
}

// step runs actions within browserStepTimeout.
func (d *deskTab) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(d.ctx, browserStepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		body, _ := chromedp.Run(d.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		d.t.Fatalf("%s: %v\npage:\n%s", what, err, body)
	}
}

// text returns the text of the element sel selects.
func (d *deskTab) text(sel string) string {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(d.ctx, browserStepTimeout)
	defer cancel()
	s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		d.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// shoot saves the viewport as name in the screenshots' folder.
func (d *deskTab) shoot(name string) {
	d.t.Helper()
	if d.shots == "" {
		return
	}
	png, err := chromedp.Run(d.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		d.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(d.shots, name), png, 0o644); err != nil {
		d.t.Fatal(err)
	}
}
