package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"xuncha/handlers"
	"xuncha/internal/docx/docxtest"
	"xuncha/store"
)

// TestBrowserDesk walks the officials' desk in a real (headless) Chromium at 1366×768, against
// the real program started with run: a resident's cookie opens nothing; an official binds an
// invitation in the web chat, asks for /desk there, follows the link, signs in, filters the
// ledger, opens the clue, sees the resident's photo, disposes of it and transfers it to a unit
// with a due date (the unit's chat is told); opens another clue and downloads its reminder
// letter as a .docx; the same link used again and an expired one are refused; a unit member,
// in a browser context of their own, binds in the web chat, signs in through their own /desk
// link and sees the clue transferred to them and not the other unit's.
//
// XUNCHA_DESK_SCREENSHOTS=docs writes docs/desk-ledger.png, docs/desk-clue.png,
// docs/desk-clue-actions.png and docs/desk-unit.png (1366×768).
func TestBrowserDesk(t *testing.T) {
	ctx, prog := newDeskProgram(t)
	dbPath, key, cli := prog.dbPath, prog.key, prog.cli
	invitation := regexp.MustCompile(`invitation code: (\S+)`).FindStringSubmatch(cli("invite", "--db", dbPath, "--role", "official", "--township", "新站镇"))
	if invitation == nil {
		t.Fatal("no invitation code printed")
	}
	unitInvitation := regexp.MustCompile(`invitation code: (\S+)`).FindStringSubmatch(cli("invite", "--db", dbPath, "--role", "unit", "--unit", "case1"))
	if unitInvitation == nil {
		t.Fatal("no invitation code printed for the unit")
	}

	// Two residents' reports in the ledger, one with a photo (as the intake stores it); the
	// other is with another unit, overdue, and has had its reminder letter from the ladder.
	db, err := store.Open(ctx, dbPath, key)
	if err != nil {
		t.Fatal(err)
	}
	var (
		photoClue, otherClue string
		otherID              int64
		letter               *store.Letter
	)
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
				continue
			}
			otherClue, otherID = c.Number, c.ID
			// As the ladder's pass leaves a clue past its deadline (scheduler.letter): the
			// letter numbered and the clue on the reminder step, with no later step owed.
			unit, status, due := "市委组织部", store.ClueTransferred, time.Now().AddDate(0, 0, -3)
			if err := tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &unit, Status: &status, DueAt: &due}); err != nil {
				return err
			}
			if letter, err = tx.CreateLetter(c.ID, store.LetterReminder, due, time.Now().Year()); err != nil {
				return err
			}
			if err := tx.SetLadder(c.ID, due, store.LadderReminder, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	url, tab := serveDesk(t, ctx, prog, "zh-CN")
	bctx, step, text, shoot := tab.ctx, tab.step, tab.text, tab.shoot

	// The chat page as a resident: its cookie opens nothing on the desk.
	// The first action runs on the browser's own context: a step's shorter one would end the
	// browser with it.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url)); err != nil {
		t.Fatalf("open the chat: %v", err)
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

	// A unit member binds in the web chat, in a browser context of their own (cookies apart).
	// Its first action runs on its own context, as the browser's did.
	uctx, closeUnit := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer closeUnit()
	if err := chromedp.Do(uctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(url)); err != nil {
		t.Fatalf("open the unit's chat: %v", err)
	}
	up := &chatPage{t: t, ctx: uctx}
	up.waitBot(handlers.T(handlers.LangZH, "welcome"))
	up.typeLine("/bind " + unitInvitation[1])
	up.waitBot("绑定成功")

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
	step("the actions", chromedp.ScrollIntoView(chromedp.CSS("section.actions")))
	shoot("desk-clue-actions.png")
	step("dispose", chromedp.SetValue(chromedp.CSS(`#dispose select[name="disposal"]`), "verify"),
		chromedp.SetValue(chromedp.CSS(`#dispose select[name="form"]`), "1"),
		chromedp.Click(chromedp.CSS(`#dispose button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text("#disposal"); !strings.Contains(got, "初步核实") {
		t.Errorf("after the disposal the clue shows %q", got)
	}
	if got := text("#timeline"); !strings.Contains(got, "处置意见") {
		t.Errorf("the timeline does not show the disposal:\n%s", got)
	}

	// Transfer with a due date: the clue shows the unit, the timeline the transfer, and the
	// unit's chat is told.
	step("transfer", chromedp.Click(chromedp.Search(`//form[@id="transfer"]/parent::details/summary`)),
		chromedp.SetValue(chromedp.CSS(`#transfer select[name="unit"]`), "case1"),
		chromedp.SetValue(chromedp.CSS(`#transfer select[name="days"]`), "15"),
		chromedp.Click(chromedp.CSS(`#transfer button`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="flash" and contains(., "已移交")]`)))
	if got := text("#status"); !strings.Contains(got, handlers.T(handlers.LangZH, "lg.status."+store.ClueTransferred)) {
		t.Errorf("after the transfer the status is %q", got)
	}
	if got := text("aside"); !strings.Contains(got, "市纪委监委第一纪检监察室") {
		t.Errorf("after the transfer the clue's facts show:\n%s", got)
	}
	if got := text("#timeline"); !strings.Contains(got, "移交") || !strings.Contains(got, "市纪委监委第一纪检监察室") {
		t.Errorf("the timeline does not show the transfer:\n%s", got)
	}
	notice := up.waitBotMatch("【移交线索】" + photoClue)
	if !regexp.MustCompile(`期限 \d{4}-\d{2}-\d{2}`).MatchString(notice) {
		t.Errorf("the unit's notice has no due date: %q", notice)
	}

	// The other clue's reminder letter, downloaded as a .docx.
	otherLink := chromedp.Search(`//td/a[text()="` + otherClue + `"]`)
	letterName := letter.Number + ".docx"
	step("the ledger", chromedp.Navigate(url+"desk/"), chromedp.WaitVisible(otherLink))
	step("open the other clue", chromedp.Click(otherLink), chromedp.WaitVisible(chromedp.Search(`//a[text()="`+letterName+`"]`)))
	downloads := t.TempDir()
	doc := docxtest.Document(t, download(t, bctx, downloads, letterName, chromedp.Search(`//a[text()="`+letterName+`"]`)))
	for _, want := range []string{letter.Number, "关于督促办理问题线索的提醒函", "市委组织部：", otherClue} {
		if !strings.Contains(doc, want) {
			t.Errorf("the downloaded letter does not say %q", want)
		}
	}

	// The link used again, and one past its ten minutes, are refused.
	refused := handlers.T(handlers.LangZH, "desk.signin.bad")
	step("the link again", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.CSS("p.message")))
	if got := text("main"); !strings.Contains(got, refused) {
		t.Errorf("a used link shows:\n%s", got)
	}
	expired := strings.Replace(link, link[strings.Index(link, "?t=")+3:], expiredLink(t, ctx, dbPath, key, store.RoleOfficial), 1)
	step("an expired link", chromedp.Navigate(expired), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.CSS("p.message")))
	if got := text("main"); !strings.Contains(got, refused) {
		t.Errorf("an expired link shows:\n%s", got)
	}

	// The unit member signs in through their own link and sees their clue, not the other
	// unit's, which is not found by its id either.
	unitTab := newDeskTab(t, uctx)
	ustep, utext := unitTab.step, unitTab.text
	up.click("工作台")
	umsg := up.waitBot("工作台登录链接")
	ulink := regexp.MustCompile(`http://\S+/desk/signin\?t=[A-Za-z0-9_-]+`).FindString(umsg)
	if ulink == "" || ulink == link {
		t.Fatalf("no sign-in link of the unit's own in %q", umsg)
	}
	ustep("the unit follows its link", chromedp.Navigate(ulink), chromedp.WaitVisible(chromedp.ID("signin")))
	ustep("the unit signs in", chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("filters")),
		chromedp.WaitVisible(chromedp.Search(`//td/a[text()="`+photoClue+`"]`)))
	if got := utext("main"); !strings.Contains(got, "共 1 条") || strings.Contains(got, otherClue) {
		t.Errorf("the unit's ledger shows:\n%s", got)
	}
	unitTab.shoot("desk-unit.png")
	ustep("the other unit's clue by id", chromedp.Navigate(fmt.Sprintf("%sdesk/clue/%d", url, otherID)),
		chromedp.WaitVisible(chromedp.CSS("main")))
	if got := utext("main"); !strings.Contains(got, handlers.T(handlers.LangZH, "desk.notfound")) || strings.Contains(got, "合作社") {
		t.Errorf("the other unit's clue by id shows:\n%s", got)
	}

}

// download clicks sel on the page of ctx with the browser's downloads going to dir, waits for
// the file to be complete and returns it, checking the name the server gave it.
func download(t *testing.T, ctx context.Context, dir, name string, sel chromedp.Search) []byte {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	begin := chromedp.Events(sctx, cdpbrowser.DownloadWillBegin)
	progress := chromedp.Events(sctx, cdpbrowser.DownloadProgress)
	if err := chromedp.Do(sctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true)})
		return err
	}), chromedp.Click(sel)); err != nil {
		t.Fatalf("download %s: %v", name, err)
	}
	var guid string
	for ev, err := range begin {
		if err != nil {
			t.Fatalf("download %s: %v", name, err)
		}
		if ev.SuggestedFilename != name {
			t.Errorf("the download is named %q, want %q", ev.SuggestedFilename, name)
		}
		guid = ev.GUID
		break
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download %s: %v", name, err)
		}
		if ev.GUID != guid {
			continue
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			t.Fatalf("download %s was cancelled", name)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCompleted {
			break
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// expiredLink writes a desk sign-in link for the first person of role, issued eleven minutes
// ago (links hold ten), through the store's clock.
func expiredLink(t *testing.T, ctx context.Context, path string, key []byte, role store.Role) string {
	t.Helper()
	db, err := store.Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	people, err := db.ListPeople(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		if p.Role != role {
			continue
		}
		db.Now = func() time.Time { return time.Now().Add(-11 * time.Minute) }
		token, err := db.CreateDeskLink(ctx, p.ID, 10*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	t.Fatalf("no person of role %s", role)
	return ""
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
