package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"xuncha/handlers"
)

// The web chat's rough edges (issue 14), each walked in a real Chromium in both languages.
// XUNCHA_SHOTS=DIR writes a screenshot of each step checked, for a person to look at.

// browserLangs are the two languages a resident's browser may ask for, with the chat language
// each gives.
var browserLangs = []struct{ accept, lang string }{{"zh-CN", handlers.LangZH}, {"en-US", handlers.LangEN}}

func other(lang string) string {
	if lang == handlers.LangEN {
		return handlers.LangZH
	}
	return handlers.LangEN
}

// eval runs JavaScript on the page and returns its value.
func eval[T any](p *chatPage, js string) T {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v\n%s", js, err, p.transcript())
	}
	return v
}

// waitTrue waits until the JavaScript expression is true.
func (p *chatPage) waitTrue(js, what string) {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.PollFunction[bool]("() => !!("+js+")", chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting until %s (%s): %v\n%s", what, js, err, p.transcript())
	}
}

// shot writes a screenshot named name into XUNCHA_SHOTS, when set.
func (p *chatPage) shot(name string) {
	p.t.Helper()
	dir := os.Getenv("XUNCHA_SHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := p.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// reload opens the page again, as a person coming back to it does.
func (p *chatPage) reload() {
	p.t.Helper()
	ctx, cancel := p.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(p.url)); err != nil {
		p.t.Fatalf("reload: %v", err)
	}
}

// pageLabels are the page's own texts: its language, the send button and the placeholder.
type pageLabels struct{ Lang, Send, Placeholder string }

func (p *chatPage) labels() pageLabels {
	p.t.Helper()
	return eval[pageLabels](p, `({Lang: document.documentElement.lang, Send: document.getElementById("send").textContent,
		Placeholder: document.getElementById("text").placeholder})`)
}

func wantLabels(lang string) pageLabels {
	l := pageLabels{Lang: "zh-CN", Send: handlers.T(lang, "web.send"), Placeholder: handlers.T(lang, "web.placeholder")}
	if lang == handlers.LangEN {
		l.Lang = "en"
	}
	return l
}

// waitLabels waits until the page's labels are lang's.
func (p *chatPage) waitLabels(lang string) {
	p.t.Helper()
	want := wantLabels(lang)
	p.waitTrue(fmt.Sprintf(`document.documentElement.lang === %q && document.getElementById("send").textContent === %q && document.getElementById("text").placeholder === %q`,
		want.Lang, want.Send, want.Placeholder), "the page's labels are "+lang+"'s")
}

// waitButton waits until an enabled button labelled label is on the page.
func (p *chatPage) waitButton(label string) {
	p.t.Helper()
	p.waitTrue(fmt.Sprintf(`Array.from(document.querySelectorAll("#log .buttons button:not([disabled])")).some((b) => b.textContent === %q)`, label),
		"an enabled button "+label)
}

// TestBrowserLanguage: the language switch, by the menu's button and by /lang typed, answers
// with the menu in the new language, and the page's own labels (send button, placeholder,
// <html lang>) switch with it and stay switched when the page is opened again.
func TestBrowserLanguage(t *testing.T) {
	for _, bl := range browserLangs {
		t.Run(bl.lang, func(t *testing.T) {
			p := startChat(t, bl.accept)
			tr := func(key string) string { return handlers.T(bl.lang, key) }
			to := other(bl.lang)
			p.waitBot(tr("welcome"))
			if got, want := p.labels(), wantLabels(bl.lang); got != want {
				t.Fatalf("a %s browser's page has labels %+v, want %+v", bl.accept, got, want)
			}
			p.shot("lang-" + bl.lang + "-1-start")

			p.click(tr("menu.lang")) // "English" / "中文"
			p.waitBot(handlers.T(to, "lang.set"))
			p.waitButton(handlers.T(to, "menu.report"))
			p.waitLabels(to)
			p.shot("lang-" + bl.lang + "-2-switched")

			p.reload()
			p.waitBot(handlers.T(to, "welcome"))
			if got, want := p.labels(), wantLabels(to); got != want {
				t.Errorf("opened again after the switch, the page has labels %+v, want %+v", got, want)
			}

			p.typeLine("/lang")
			p.waitBot(tr("lang.set"))
			p.waitButton(tr("menu.report"))
			p.waitLabels(bl.lang)
			p.shot("lang-" + bl.lang + "-3-back")
		})
	}
}

// startReport waits for the menu the page opens with and presses 举报 (Report): the page then
// asks for the category.
func (p *chatPage) startReport(lang string) {
	p.t.Helper()
	p.waitBot(handlers.T(lang, "welcome"))
	p.click(handlers.T(lang, "menu.report"))
	p.waitBot(handlers.T(lang, "report.category"))
}

// reportAbout starts a report of category about village of 新站镇, one of the sample places:
// the page then asks whom it is about.
func (p *chatPage) reportAbout(lang, category, village string) {
	p.t.Helper()
	p.startReport(lang)
	p.click(category)
	p.waitBot(handlers.T(lang, "report.township"))
	p.click("新站镇")
	p.waitBot(handlers.T(lang, "report.village"))
	p.click(village)
	p.waitBot(handlers.T(lang, "report.subject"))
}

// finishAnonymous answers the steps after a report's description: no files, anonymous, the
// chat's link kept. The page then shows the summary.
func (p *chatPage) finishAnonymous(lang string) {
	p.t.Helper()
	tr := func(key string) string { return handlers.T(lang, key) }
	p.waitBot(tr("report.files"))
	p.click(tr("done"))
	p.waitBot(tr("report.identity"))
	p.click(tr("report.anonymous"))
	p.waitBot(tr("report.link"))
	p.click(tr("report.link.keep"))
}

// describeReport walks a report with the sample places up to its files step.
func (p *chatPage) describeReport(lang string) {
	p.t.Helper()
	p.reportAbout(lang, mustCategory(p.t, lang), "东风村")
	p.typeLine("东风村村委会")
	p.waitBot(handlers.T(lang, "report.description"))
	p.typeLine("2024年3月村里发放的惠农补贴被村干部截留，每户少发了200元，涉及三十多户。")
	p.waitBot(handlers.T(lang, "report.files"))
}

// fileReport walks a report up to its confirmation with the sample places.
func (p *chatPage) fileReport(lang string) {
	p.t.Helper()
	tr := func(key string) string { return handlers.T(lang, key) }
	p.describeReport(lang)
	p.finishAnonymous(lang)
	p.waitBot(strings.SplitN(tr("report.summary"), "\n", 2)[0])
}

var shownCode = regexp.MustCompile(`^\d{4} \d{4} \d{4} \d{4}$`)

// TestBrowserQueryCode: a new report's query code is impossible to miss and easy to keep: it
// stands large, in a monospace font, with a copy button that puts it on the clipboard, and the
// page goes no further (no menu, no message box) until "I have saved the code" is pressed.
// Then the code leaves the page, and opening the page again does not show it.
func TestBrowserQueryCode(t *testing.T) {
	for _, bl := range browserLangs {
		t.Run(bl.lang, func(t *testing.T) {
			p := startChat(t, bl.accept)
			tr := func(key string) string { return handlers.T(bl.lang, key) }
			origin := strings.TrimSuffix(p.url, "/")
			if _, err := chromedp.CallBrowser(p.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: "clipboard-read"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: origin}); err != nil {
				t.Fatalf("grant clipboard-read: %v", err)
			}
			p.fileReport(bl.lang)
			p.click(tr("report.confirm"))

			p.waitTrue(`document.querySelector("#log .code .digits")`, "the code is shown")
			code := eval[string](p, `document.querySelector("#log .code .digits").textContent`)
			if !shownCode.MatchString(code) {
				t.Fatalf("the code card shows %q", code)
			}
			style := eval[struct {
				Size   float64
				Family string
				Weight string
			}](p, `(() => { const s = getComputedStyle(document.querySelector("#log .code .digits"));
				return {Size: parseFloat(s.fontSize), Family: s.fontFamily, Weight: s.fontWeight}; })()`)
			body := eval[float64](p, `parseFloat(getComputedStyle(document.querySelector("#log .msg.bot")).fontSize)`)
			if style.Size < body*1.2 || !strings.Contains(style.Family, "monospace") || style.Weight < "600" {
				t.Errorf("the code is in %+v, want larger than the text (%vpx), monospace and bold", style, body)
			}
			// The card fits the phone's screen.
			if fits := eval[bool](p, `(() => { const r = document.querySelector("#log .code").getBoundingClientRect();
				return r.left >= 0 && r.right <= window.innerWidth; })()`); !fits {
				t.Errorf("the code's card does not fit a 420px screen")
			}
			// Held: nothing to press but copy and saved, and no message box.
			if n := eval[int](p, `document.querySelectorAll("#log .buttons button:not([disabled])").length`); n != 0 {
				t.Errorf("%d buttons can be pressed before the code was saved\n%s", n, p.transcript())
			}
			if !eval[bool](p, `document.getElementById("text").disabled && document.getElementById("send").disabled`) {
				t.Errorf("the message box can be used before the code was saved")
			}
			p.shot("code-" + bl.lang + "-1-shown")

			ctx, cancel := p.step()
			if err := chromedp.Do(ctx, chromedp.Click(`#log .code .copy`)); err != nil {
				t.Fatalf("click copy: %v", err)
			}
			cancel()
			p.waitTrue(fmt.Sprintf(`document.querySelector("#log .code .copy").textContent.includes(%q)`, tr("web.code.copied")), "the copy button says copied")
			ctx, cancel = p.step()
			clip, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
			cancel()
			if err != nil || clip != code {
				t.Errorf("the clipboard holds %q (%v), want %q", clip, err, code)
			}
			p.shot("code-" + bl.lang + "-2-copied")

			ctx, cancel = p.step()
			if err := chromedp.Do(ctx, chromedp.Click(`#log .codegate .saved`)); err != nil {
				t.Fatalf("click saved: %v", err)
			}
			cancel()
			p.waitButton(tr("menu.report"))
			if n := eval[int](p, `document.querySelectorAll("#log .code, #log .codegate").length`); n != 0 {
				t.Errorf("the code's card is still on the page after it was saved")
			}
			if text := eval[string](p, `document.body.innerText`); strings.Contains(text, code) {
				t.Errorf("the page still shows the code after it was saved")
			}
			if !strings.Contains(eval[string](p, `document.body.innerText`), tr("web.code.hidden")) {
				t.Errorf("the page does not say the code was hidden")
			}
			if eval[bool](p, `document.getElementById("text").disabled`) {
				t.Errorf("the message box stays off after the code was saved")
			}
			p.shot("code-" + bl.lang + "-3-saved")

			// Whoever opens the page next in this browser does not see it.
			p.reload()
			p.waitBot(tr("welcome"))
			time.Sleep(300 * time.Millisecond) // a poll that would bring it back has had its turn
			if text := eval[string](p, `document.body.innerText`); strings.Contains(text, code) {
				t.Errorf("the page opened again shows the code:\n%s", text)
			}
		})
	}
}

// TestBrowserTextLimit: the message box takes at most handlers.MaxTextRunes characters, with
// a live counter, and says so when a paste was cut; a message the engine refuses (here one a
// page with a stale limit let through) comes back to the box instead of being lost.
func TestBrowserTextLimit(t *testing.T) {
	for _, bl := range browserLangs {
		t.Run(bl.lang, func(t *testing.T) {
			p := startChat(t, bl.accept)
			tr := func(key string) string { return handlers.T(bl.lang, key) }
			p.reportAbout(bl.lang, mustCategory(t, bl.lang), "东风村")
			p.typeLine("东风村村委会")
			p.waitBot(tr("report.description"))

			if got := eval[int](p, `document.getElementById("text").maxLength`); got != handlers.MaxTextRunes {
				t.Fatalf("the box's maxLength is %d, want the engine's limit %d", got, handlers.MaxTextRunes)
			}
			// Typing (an IME's commit, as a Chinese resident types) past the limit stops at it.
			long := "2024年3月" + strings.Repeat("补贴被截留。", 900)
			ctx, cancel := p.step()
			err := chromedp.Do(ctx, chromedp.Focus(`#text`), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: long})
				return err
			}))
			cancel()
			if err != nil {
				t.Fatalf("insert text: %v", err)
			}
			if n := eval[int](p, `document.getElementById("text").value.length`); n != handlers.MaxTextRunes {
				t.Errorf("the box holds %d characters, want %d", n, handlers.MaxTextRunes)
			}
			wantCounter := handlers.T(bl.lang, "web.counter", fmt.Sprint(handlers.MaxTextRunes), handlers.MaxTextRunes)
			p.waitTrue(fmt.Sprintf(`document.getElementById("counter").textContent === %q && document.getElementById("counter").classList.contains("full")`, wantCounter),
				"the counter shows the box full")
			// A paste that does not fit is announced.
			eval[bool](p, `(() => { const dt = new DataTransfer(); dt.setData("text/plain", "x".repeat(10));
				document.getElementById("text").dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true})); return true; })()`)
			p.waitTrue(fmt.Sprintf(`document.getElementById("status").textContent === %q`, handlers.T(bl.lang, "web.paste.cut", handlers.MaxTextRunes)), "the paste was said to be cut")
			p.shot("limit-" + bl.lang + "-1-full")

			// A page with a stale limit lets one character more through: the engine refuses it,
			// and the text comes back to the box.
			over := string([]rune(long)[:handlers.MaxTextRunes+1])
			eval[bool](p, `(() => { const t = document.getElementById("text"); t.maxLength = 100000; t.value = ""; return true; })()`)
			eval[bool](p, fmt.Sprintf(`(() => { const t = document.getElementById("text"); t.value = %q; t.dispatchEvent(new Event("input")); return true; })()`, over))
			before := p.meCount()
			ctx, cancel = p.step()
			err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("text"), kb.Enter))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			p.waitBot(handlers.T(bl.lang, "too.long", handlers.MaxTextRunes))
			p.waitTrue(fmt.Sprintf(`document.getElementById("text").value.length === %d`, len([]rune(over))), "the refused text is back in the box")
			if !eval[bool](p, fmt.Sprintf(`document.querySelectorAll("#log .msg.me")[%d].classList.contains("refused")`, before)) {
				t.Errorf("the refused message is not marked as not sent\n%s", p.transcript())
			}
			p.shot("limit-" + bl.lang + "-2-refused")

			// One character less is taken. (The send button this time: chromedp's Enter sends
			// its character apart from the key, so a newline lands in the emptied box.)
			ctx, cancel = p.step()
			err = chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("text"), kb.End+kb.Backspace), chromedp.Click("#send"))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			p.waitBot(tr("report.files"))
			if v := eval[string](p, `document.getElementById("text").value`); v != "" {
				t.Errorf("after a taken message the box holds %d characters", len(v))
			}
		})
	}
}

func mustCategory(t *testing.T, lang string) string {
	t.Helper()
	cats, err := handlers.LoadCategories("")
	if err != nil {
		t.Fatal(err)
	}
	return cats[1].Name(lang)
}

// TestBrowserAnsweredButtons: a row of buttons, once answered, can no longer be pressed and
// shows the choice: by a press (the chosen button marked) or by a typed answer.
func TestBrowserAnsweredButtons(t *testing.T) {
	for _, bl := range browserLangs {
		t.Run(bl.lang, func(t *testing.T) {
			p := startChat(t, bl.accept)
			tr := func(key string) string { return handlers.T(bl.lang, key) }
			p.startReport(bl.lang)
			// The menu's row: all off, the choice marked.
			menu := eval[struct {
				Answered bool
				Enabled  int
				Chosen   string
			}](p, `(() => { const box = document.querySelectorAll("#log .buttons")[0];
				const chosen = box.querySelector("button.chosen");
				return {Answered: box.classList.contains("answered"), Enabled: box.querySelectorAll("button:not([disabled])").length,
					Chosen: chosen ? chosen.textContent : ""}; })()`)
			if !menu.Answered || menu.Enabled != 0 || menu.Chosen != tr("menu.report") {
				t.Errorf("the pressed menu: %+v, want answered, nothing enabled, %q chosen\n%s", menu, tr("menu.report"), p.transcript())
			}
			p.click(mustCategory(t, bl.lang))
			p.waitBot(tr("report.township"))
			p.click("新站镇")
			p.waitBot(tr("report.village"))
			p.click("东风村")
			p.waitBot(tr("report.subject"))
			// The subject's question has buttons too; a typed answer answers it.
			rows := eval[int](p, `document.querySelectorAll("#log .buttons").length`)
			p.typeLine("东风村村委会")
			p.waitBot(tr("report.description"))
			last := eval[struct {
				Answered bool
				Enabled  int
				Chosen   int
			}](p, fmt.Sprintf(`(() => { const box = document.querySelectorAll("#log .buttons")[%d];
				return {Answered: box.classList.contains("answered"), Enabled: box.querySelectorAll("button:not([disabled])").length,
					Chosen: box.querySelectorAll("button.chosen").length}; })()`, rows-1))
			if !last.Answered || last.Enabled != 0 || last.Chosen != 0 {
				t.Errorf("the question answered by typing: %+v, want answered, nothing enabled, nothing chosen\n%s", last, p.transcript())
			}
			// Only the current question can be pressed.
			if n := eval[int](p, `Array.from(document.querySelectorAll("#log .buttons")).slice(0, -1).reduce((n, b) => n + b.querySelectorAll("button:not([disabled])").length, 0)`); n != 0 {
				t.Errorf("%d buttons of answered questions can still be pressed\n%s", n, p.transcript())
			}
			p.shot("buttons-" + bl.lang)
		})
	}
}

// TestBrowserReportPhoto: a resident who attaches a photo at the files step can still finish
// the step. Sending a file answers (and so disables) the step's row of buttons, so the answer
// "attachment received" must offer 完成 (Done) again; without it the resident had no button to
// press and no hint what to type.
func TestBrowserReportPhoto(t *testing.T) {
	for _, bl := range browserLangs {
		t.Run(bl.lang, func(t *testing.T) {
			p := startChat(t, bl.accept)
			tr := func(key string) string { return handlers.T(bl.lang, key) }
			p.describeReport(bl.lang)
			photo := filepath.Join(t.TempDir(), "photo.png")
			if err := os.WriteFile(photo, deskPhoto(t), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := p.step()
			err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{photo}))
			cancel()
			if err != nil {
				t.Fatalf("attach the photo: %v", err)
			}
			p.waitBot(handlers.T(bl.lang, "file.added", 1))
			p.shot("photo-" + bl.lang + "-1-attached")
			p.click(tr("done"))
			p.waitBot(tr("report.identity"))
			p.click(tr("report.anonymous"))
			p.waitBot(tr("report.link"))
			p.click(tr("report.link.keep"))
			if got := p.waitBot(strings.SplitN(tr("report.summary"), "\n", 2)[0]); !strings.Contains(got, "1") {
				t.Errorf("the summary does not count the photo: %q", got)
			}
		})
	}
}
