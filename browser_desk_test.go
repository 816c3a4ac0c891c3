package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xuncha/handlers"
	"xuncha/internal/syncbuf"
	"xuncha/store"
)

// TestBrowserDesk walks the officials' desk in a real (headless) Chromium at 1366×768, against
// the real program started with run: a resident's cookie opens nothing; an official binds an
// invitation in the web chat, asks for /desk there, follows the link, signs in, filters the
// ledger, opens the clue, sees the resident's photo, and disposes of it.
//
// XUNCHA_DESK_SCREENSHOTS=docs writes docs/desk-ledger.png and docs/desk-clue.png (1366×768).
func TestBrowserDesk(t *testing.T) {
	browser := findChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()

	dir := t.TempDir()
	dbPath := filepath.Join(dir, "x.db")
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XUNCHA_SECRET_KEY": hex.EncodeToString(key)}
	getenv := func(name string) string { return env[name] }
	cli := func(args ...string) string {
		t.Helper()
		var out, errOut syncbuf.Buffer
		if err := run(ctx, append([]string{"xuncha"}, args...), getenv, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut.String())
		}
		return out.String()
	}
	cli("places", "import", "--db", dbPath, "samples/places.sample.csv")
	invitation := regexp.MustCompile(`invitation code: (\S+)`).FindStringSubmatch(cli("invite", "--db", dbPath, "--role", "official", "--township", "新站镇"))
	if invitation == nil {
		t.Fatal("no invitation code printed")
	}

	// Two residents' reports in the ledger, one with a photo (as the intake stores it).
	db, err := store.Open(ctx, dbPath, key)
	if err != nil {
		t.Fatal(err)
	}
	var photoClue string
	err = db.Update(ctx, func(tx *store.Tx) error {
		tw, v, err := db.FindPlaceByName(ctx, "新站镇", "东风村")
		if err != nil {
			return err
		}
		for i, r := range []*store.Report{
			{Category: "interests", Subject: "东风村村委会", Description: "2024年3月村里发放的惠农补贴被村干部截留，每户少发了200元，涉及三十多户。", WhenText: "2024年3月"},
			{Category: "interests", Subject: "东风村合作社", Description: "合作社账目三年没有公开，村民多次询问无果。"},
		} {
			r.TownshipID, r.VillageID, r.Anonymous, r.Lang = tw, v, true, "zh"
			var atts []store.Attachment
			if i == 0 {
				sha, err := tx.PutBlob(deskPhoto(t), "image/png")
				if err != nil {
					return err
				}
				atts = []store.Attachment{{SHA256: sha, Name: "现场照片.png"}}
			}
			if _, err := tx.CreateReport(r, atts); err != nil {
				return err
			}
			c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Title: "侵害群众利益", Subject: r.Subject, Summary: r.Description,
				TownshipID: tw, VillageID: v}
			if _, err := tx.CreateClue(c); err != nil {
				return err
			}
			if i == 0 {
				photoClue = c.Number
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	// The server.
	serverCtx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	var stdout, stderr syncbuf.Buffer
	served := make(chan error, 1)
	go func() {
		served <- run(serverCtx, []string{"xuncha", "serve", "--addr", "127.0.0.1:0", "--db", dbPath},
			getenv, strings.NewReader(""), &stdout, &stderr)
	}()
	var (
		serverErr     error
		serverStopped bool
	)
	stopAndWait := func() {
		if serverStopped {
			return
		}
		serverStopped = true
		stopServer()
		select {
		case serverErr = <-served:
		case <-time.After(15 * time.Second):
			serverErr = errors.New("run did not return within 15s of the cancellation")
		}
	}
	t.Cleanup(stopAndWait)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr.String())
		}
	})
	url := waitForServeURL(t, ctx, &stdout, &stderr, served, &serverStopped, &serverErr)

	allocCtx, closeAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.UserDataDir(t.TempDir()), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN,zh"),
	)...)
	defer closeAlloc()
	bctx, closeBrowser := chromedp.NewContext(allocCtx)
	defer closeBrowser()
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, browserStepTimeout)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			body, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			t.Fatalf("%s: %v\npage:\n%s", what, err, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, browserStepTimeout)
		defer cancel()
		s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	shots := os.Getenv("XUNCHA_DESK_SCREENSHOTS")
	shoot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The chat page as a resident: its cookie opens nothing on the desk.
	// The first action runs on the browser's own context: a step's shorter one would end the
	// browser with it.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url)); err != nil {
		t.Fatalf("open the chat in %s: %v", browser, err)
	}
	p := &chatPage{t: t, ctx: bctx}
	p.waitBot(handlers.T(handlers.LangZH, "welcome"))
	step("the desk with a resident's cookie", chromedp.Navigate(url+"desk/"))
	if got := text("main"); !strings.Contains(got, "请先登录") || strings.Contains(got, photoClue) {
		t.Fatalf("a resident's cookie on the desk shows:\n%s", got)
	}

	// The official binds the invitation and asks for the desk in the chat.
	step("back to the chat", chromedp.Navigate(url))
	p.waitBot(handlers.T(handlers.LangZH, "welcome"))
	p.typeLine("/bind " + invitation[1])
	p.waitBot("绑定成功")
	p.click("工作台")
	msg := p.waitBot("工作台登录链接")
	link := regexp.MustCompile(`http://\S+/desk/signin\?t=[A-Za-z0-9_-]+`).FindString(msg)
	if link == "" {
		t.Fatalf("no sign-in link in %q", msg)
	}

	// Sign in, filter, open the clue, see the photo, dispose.
	clueLink := chromedp.Search(`//td/a[text()="` + photoClue + `"]`)
	step("follow the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("signin")))
	step("sign in", chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("filters")))
	step("filter", chromedp.SendKeys(chromedp.ID("q"), "补贴"), chromedp.Click(chromedp.ID("apply")))
	// The unfiltered ledger shows the clue too: wait for the filtered page's own count.
	step("the filtered ledger", chromedp.WaitVisible(chromedp.Search(`//p[@class="count" and contains(., "共 1 条")]`)))
	step("the filtered ledger", chromedp.WaitVisible(clueLink))
	if got := text("main"); !strings.Contains(got, "共 1 条") || strings.Contains(got, "东风村合作社") {
		t.Errorf("the filtered ledger shows:\n%s", got)
	}
	loc, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "q=%E8%A1%A5%E8%B4%B4") {
		t.Errorf("the URL does not carry the search: %s %v", loc, err)
	}
	shoot("desk-ledger.png")
	step("open the clue", chromedp.Click(clueLink), chromedp.WaitVisible(chromedp.ID("report-text")))
	sctx, scancel := context.WithTimeout(bctx, browserStepTimeout)
	if _, err := chromedp.Run(sctx, chromedp.Poll[bool](`(() => { const i = document.querySelector("img.evidence"); return !!i && i.complete && i.naturalWidth === 120; })()`)); err != nil {
		t.Errorf("the photo is not shown: %v", err)
	}
	scancel()
	if !strings.Contains(text("#report-text"), "惠农补贴被村干部截留") {
		t.Error("the report's text is not shown")
	}
	shoot("desk-clue.png")
	step("dispose", chromedp.SetValue(chromedp.CSS(`#dispose select[name="disposal"]`), "verify"),
		chromedp.SetValue(chromedp.CSS(`#dispose select[name="form"]`), "1"),
		chromedp.Click(chromedp.CSS(`#dispose button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text("#disposal"); !strings.Contains(got, "初步核实") {
		t.Errorf("after the disposal the clue shows %q", got)
	}
	if got := text("#timeline"); !strings.Contains(got, "处置意见") {
		t.Errorf("the timeline does not show the disposal:\n%s", got)
	}

	if err := chromedp.Cancel(bctx); err != nil {
		t.Logf("closing the browser: %v", err)
	}
	closeAlloc()
	stopAndWait()
	if serverErr != nil {
		t.Fatalf("run serve returned %v", serverErr)
	}
}

// deskPhoto is a 120×80 picture, as a resident's photo after cleaning.
func deskPhoto(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for x := range 120 {
		for y := range 80 {
			img.Set(x, y, color.RGBA{uint8(60 + x), uint8(120 + y), 90, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
