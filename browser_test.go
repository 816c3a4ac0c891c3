package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"xuncha/handlers"
	"xuncha/internal/syncbuf"
)

// TestBrowserReport files a whole report through the web chat in a real (headless) Chromium,
// against the real program started with run: the page, its script, the HTTP API, the engine
// and the store together. It also checks that text typed by a user is shown as text, not HTML.
//
// It needs Chromium (apt-get install chromium). Without it the test is skipped, except in CI
// (CI=true), where .ci/run installs it and a missing browser is a failure.
//
// XUNCHA_SCREENSHOT=docs/webchat.png writes a screenshot of the finished conversation.
func TestBrowserReport(t *testing.T) {
	p := startChat(t, "zh-CN")
	bctx := p.ctx
	zh := func(key string) string { return handlers.T(handlers.LangZH, key) }
	const (
		subjectText = "东风村村委会"
		xss         = `<img src=x onerror=alert(1)>`
		description = "2024年3月村里发放的惠农补贴被村干部截留，每户少发了200元，涉及三十多户。"
	)

	// The page sends /start by itself and shows the menu (reportAbout waits for it).
	p.reportAbout(handlers.LangZH, "侵害群众利益", "东风村")
	p.typeLine(xss) // changed to subjectText below, through the summary's edit button
	p.waitBot(zh("report.description"))
	p.typeLine(description) // long enough, and it names a time: no follow-up questions
	p.finishAnonymous(handlers.LangZH)

	// The summary echoes what was typed, markup included, as plain text.
	summary := p.waitBot(zh("field.subject") + "：")
	for _, want := range []string{"新站镇", "东风村", xss, description} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary does not show %q:\n%s", want, summary)
		}
	}
	p.noImages()

	// Correct the subject: the edit returns to the summary.
	p.click(zh("report.edit"))
	p.waitBot(zh("report.edit.which"))
	p.click(zh("field.subject"))
	p.waitBot(zh("report.subject"))
	p.typeLine(subjectText)
	summary = p.waitBot(zh("field.subject") + "：" + subjectText + "\n")
	if strings.Contains(summary, xss) {
		t.Errorf("the edited summary still shows the old subject:\n%s", summary)
	}

	p.click(zh("report.confirm"))
	stored := p.waitBotMatch(`查询码[\s\S]*\b\d{4} \d{4} \d{4} \d{4}\b`)
	code := regexp.MustCompile(`\b\d{4} \d{4} \d{4} \d{4}\b`).FindString(stored)
	if code == "" {
		t.Fatalf("no 16-digit query code in the confirmation:\n%s", stored)
	}
	t.Logf("query code: %s", code)
	p.noImages()

	if shot := os.Getenv("XUNCHA_SCREENSHOT"); shot != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s", shot)
	}

	// The cleanups close the browser, then stop the server: run must return nil.
}

// startChat imports the sample places, starts the real program's server with run, and opens
// its web chat in a headless Chromium whose language is acceptLang ("zh-CN", "en-US"), on a
// phone-sized screen. Cleanups close the browser, then stop the server, and fail the test
// unless run returned nil.
func startChat(t *testing.T, acceptLang string) *chatPage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	url := newBrowserProgram(t, ctx).serve()
	bctx := openBrowser(t, ctx, acceptLang)
	// A phone-sized screen: residents report from their phones.
	if err := chromedp.Do(bctx,
		chromedp.EmulateViewport(420, 900, chromedp.EmulatePortrait),
		chromedp.Navigate(url),
	); err != nil {
		t.Fatalf("load %s: %v", url, err)
	}
	return &chatPage{t: t, ctx: bctx, url: url}
}

// findChromium returns the path of a Chromium or Chrome, or skips the test (fails it in CI).
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not installed: .ci/run must install it")
	}
	t.Skip("browser test skipped: no chromium, chromium-browser or google-chrome in PATH; install it with: sudo apt-get install chromium")
	return ""
}

var serveURLLine = regexp.MustCompile(`xuncha: web chat at (http://\S+/)`)

// waitForServeURL waits for the line that announces the web chat and returns its address.
func waitForServeURL(t *testing.T, ctx context.Context, stdout, stderr *syncbuf.Buffer, served chan error, stopped *bool, serverErr *error) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := serveURLLine.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-served:
			*stopped, *serverErr = true, err
			t.Fatalf("run serve returned before serving: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
		case <-ctx.Done():
			t.Fatalf("waiting for the server: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q line on stdout within 20s; stdout: %s", "xuncha: web chat at", stdout.String())
		}
	}
}

// chatPage drives the chat page. Each step has its own deadline, so a missing button or answer
// fails with the transcript instead of hanging.
type chatPage struct {
	t   *testing.T
	ctx context.Context
	url string
}

const browserStepTimeout = 15 * time.Second

func (p *chatPage) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(p.ctx, browserStepTimeout)
}

// transcript is the conversation as the page shows it, for failure messages.
func (p *chatPage) transcript() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#log > *"), (el) =>
		el.classList.contains("buttons")
			? "    [" + Array.from(el.querySelectorAll("button"), (b) => (b.disabled ? "-" : "") + b.textContent).join("] [") + "]"
			: (el.classList.contains("me") ? "me:  " : "bot: ") + (el.textContent.length > 300 ? el.textContent.slice(0, 300) + "…" : el.textContent).replace(/\n/g, "\n     "))`))
	if err != nil {
		return fmt.Sprintf("(no transcript: %v)", err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").textContent`))
	return "transcript:\n" + strings.Join(lines, "\n") + "\nstatus: " + status
}

// waitBot waits until the last bot message contains text, and returns that message.
func (p *chatPage) waitBot(text string) string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.PollFunction[string](`(want) => {
		const bots = document.querySelectorAll("#log .msg.bot");
		const last = bots[bots.length - 1];
		return last && last.textContent.includes(want) ? last.textContent : false;
	}`, chromedp.WithPollingArgs(text), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		p.t.Fatalf("waiting for a bot message with %q: %v\n%s", text, err, p.transcript())
	}
	return got
}

// waitBotMatch waits until a bot message matches the regular expression (JavaScript syntax).
func (p *chatPage) waitBotMatch(pattern string) string {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.PollFunction[string](`(pattern) => {
		const re = new RegExp(pattern);
		for (const b of Array.from(document.querySelectorAll("#log .msg.bot")).reverse()) {
			if (re.test(b.textContent)) return b.textContent;
		}
		return false;
	}`, chromedp.WithPollingArgs(pattern), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		p.t.Fatalf("waiting for a bot message matching %q: %v\n%s", pattern, err, p.transcript())
	}
	return got
}

// meCount is the number of the user's own bubbles.
func (p *chatPage) meCount() int {
	p.t.Helper()
	return eval[int](p, `document.querySelectorAll("#log .msg.me").length`)
}

// waitMe waits until the user's bubble number n (from 1) exists and contains text: the page
// took the click or the typed line.
func (p *chatPage) waitMe(n int, text, what string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(n, want) => {
		const mine = document.querySelectorAll("#log .msg.me");
		return mine.length >= n && mine[n - 1].textContent.includes(want);
	}`, chromedp.WithPollingArgs(n, text), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.t.Fatalf("%s: the page did not show it as sent: %v\n%s", what, err, p.transcript())
	}
}

// click clicks, with the mouse, the last enabled button whose text contains label. Answered
// button rows stay on the page, disabled, so the last enabled one is the current question's.
func (p *chatPage) click(label string) {
	p.t.Helper()
	before := p.meCount()
	xpath := fmt.Sprintf(`(//div[contains(concat(" ", normalize-space(@class), " "), " buttons ")]//button[not(@disabled) and contains(., %s)])[last()]`, xpathString(label))
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(xpath)); err != nil {
		p.t.Fatalf("click the button %q: %v\n%s", label, err, p.transcript())
	}
	p.waitMe(before+1, label, fmt.Sprintf("click %q", label))
}

// typeLine types text into the message box and presses Enter.
func (p *chatPage) typeLine(text string) {
	p.t.Helper()
	before := p.meCount()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("text"), text+kb.Enter)); err != nil {
		p.t.Fatalf("type %q: %v\n%s", text, err, p.transcript())
	}
	p.waitMe(before+1, text, fmt.Sprintf("type %q", text))
	// chromedp sends Enter's character apart from its key, so the page's preventDefault on the
	// key does not stop it and a newline lands in the emptied box; a person's Enter leaves none.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const t = document.getElementById("text");
		if (t.value === "\n") { t.value = ""; t.dispatchEvent(new Event("input")); } return true; })()`)); err != nil {
		p.t.Fatalf("clear the box: %v", err)
	}
}

// noImages fails when the conversation holds an <img>: every text must be shown as text.
func (p *chatPage) noImages() {
	p.t.Helper()
	if n := eval[int](p, `document.querySelectorAll("#log img").length`); n != 0 {
		p.t.Errorf("#log holds %d <img> elements: typed text was rendered as HTML\n%s", n, p.transcript())
	}
}

// xpathString quotes s as an XPath string literal.
func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	parts := strings.Split(s, `"`)
	return `concat("` + strings.Join(parts, `", '"', "`) + `")`
}
