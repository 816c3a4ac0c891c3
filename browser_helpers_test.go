package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xuncha/internal/syncbuf"
)

// browserProgram is the real program for a browser test: a fresh database holding the sample
// places, its key, and the settings every command and serve run with.
type browserProgram struct {
	t      *testing.T
	ctx    context.Context
	dbPath string
	key    []byte
	getenv func(string) string
}

// newBrowserProgram makes the database in a temporary directory and imports the sample
// places, so that reports offer township and village buttons.
func newBrowserProgram(t *testing.T, ctx context.Context) *browserProgram {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XUNCHA_SECRET_KEY": hex.EncodeToString(key)}
	p := &browserProgram{t: t, ctx: ctx, dbPath: t.TempDir() + "/x.db", key: key, getenv: func(name string) string { return env[name] }}
	// Flags go before the file: the flag package stops at the first argument that is not a flag.
	p.cli("places", "import", "--db", p.dbPath, "samples/places.sample.csv")
	return p
}

// cli runs a command of the program and returns its standard output, failing the test when it
// fails.
func (p *browserProgram) cli(args ...string) string {
	p.t.Helper()
	var out, errOut syncbuf.Buffer
	if err := run(p.ctx, append([]string{"xuncha"}, args...), p.getenv, strings.NewReader(""), &out, &errOut); err != nil {
		p.t.Fatalf("%v: %v\nstdout: %s\nstderr: %s", args, err, out.String(), errOut.String())
	}
	return out.String()
}

// serve starts serve on a free port and returns the web chat's address. Its cleanup, registered
// before the browser's, runs after it: it stops the server, waits for run to return before the
// temporary directory goes, and fails the test unless run returned nil.
func (p *browserProgram) serve() string {
	t := p.t
	t.Helper()
	serverCtx, stopServer := context.WithCancel(p.ctx)
	var stdout, stderr syncbuf.Buffer
	served := make(chan error, 1)
	go func() {
		served <- run(serverCtx, []string{"xuncha", "serve", "--addr", "127.0.0.1:0", "--db", p.dbPath},
			p.getenv, strings.NewReader(""), &stdout, &stderr)
	}()
	var (
		serverErr     error
		serverStopped bool
	)
	t.Cleanup(func() {
		if !serverStopped {
			serverStopped = true
			stopServer()
			select {
			case serverErr = <-served:
			case <-time.After(15 * time.Second):
				serverErr = errors.New("run did not return within 15s of the cancellation")
			}
		}
		if serverErr != nil {
			t.Errorf("run serve returned %v", serverErr)
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr.String())
		}
	})
	url := waitForServeURL(t, p.ctx, &stdout, &stderr, served, &serverStopped, &serverErr)
	t.Logf("server at %s", url)
	return url
}

// openBrowser starts a headless Chromium whose language is lang ("zh-CN", "en-US") and returns
// its context. Its cleanup closes the browser first, so that no long poll is left for the
// server to wait for, and logs the browser's output when the test failed.
func openBrowser(t *testing.T, ctx context.Context, lang string) context.Context {
	t.Helper()
	browser := findChromium(t)
	var browserOut syncbuf.Buffer
	allocCtx, closeAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		// Keep the browser off the network: there is none beyond the registries, and without
		// these flags Chromium keeps trying to reach Google services.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// The browser's language; the server picks a new chat's from Accept-Language.
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang+","+lang[:2]),
		chromedp.CombinedOutput(&browserOut),
	)...)
	bctx, closeBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		if err := chromedp.Cancel(bctx); err != nil {
			t.Logf("closing the browser: %v", err)
		}
		closeBrowser()
		closeAlloc()
		if t.Failed() {
			// Without a session bus Chromium logs many dbus errors; they are noise here.
			var lines []string
			for line := range strings.Lines(browserOut.String()) {
				if !strings.Contains(line, "dbus") {
					lines = append(lines, line)
				}
			}
			lines = lines[max(0, len(lines)-40):]
			t.Logf("browser output (last lines, dbus noise left out):\n%s", strings.Join(lines, ""))
		}
	})
	return bctx
}
