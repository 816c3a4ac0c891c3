package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"xuncha/handlers"
	"xuncha/store"
)

// TestBrowserDeskStats opens the desk's statistics in a real (headless) Chromium against the
// real program: a county official's page of a year's clues over the sample townships, at
// 1366×768 and at a phone's 390×844. The charts are SVG drawn by the server; the test checks
// that they are there with their tables, and that the page fits the phone's width.
//
// XUNCHA_DESK_SCREENSHOTS=docs writes docs/desk-stats.png (1366×768) and, for a look only,
// desk-stats-phone.png and desk-stats-whole.png (the whole page).
func TestBrowserDeskStats(t *testing.T) {
	ctx, prog := newDeskProgram(t)
	dbPath, key := prog.dbPath, prog.key

	// A year of clues: more in the bigger townships, most transferred, some closed with
	// outcomes, some past their deadline with a letter.
	db, err := store.Open(ctx, dbPath, key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	code, err := db.CreateInvitation(ctx, &store.Invitation{Role: store.RoleOfficial, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	err = db.Update(ctx, func(tx *store.Tx) error {
		l, err := handlers.LoadLedger("")
		if err != nil {
			return err
		}
		towns, err := tx.Townships()
		if err != nil {
			return err
		}
		units := []string{"case1", "case2", "org", "agri"}
		disposals := []string{"talk", "verify", "verify", "case", "conclude"}
		for i := range 160 {
			tw := towns[(i*i+i/3)%len(towns)]
			if i%5 == 0 {
				tw = towns[0]
			}
			received := now.AddDate(0, 0, -(i*i/72 + i%17))
			c := &store.Clue{Source: store.ClueFromInspection, Subject: fmt.Sprintf("对象%d", i), Summary: "某村集体资金使用不规范",
				TownshipID: tw.ID, ReceivedAt: received}
			if _, err := tx.CreateClue(c); err != nil {
				return err
			}
			if i%6 == 5 {
				continue // new
			}
			u := store.ClueUpdate{Disposal: &disposals[i%len(disposals)], Form: ptrTo(1 + i%7%4)}
			if i%4 != 3 {
				unit, due := l.CanonicalUnit(units[i%len(units)]), received.AddDate(0, 2, 0)
				status := store.ClueTransferred
				u.Unit, u.DueAt, u.Status = &unit, &due, &status
				if i%3 == 0 {
					status, closed := store.ClueClosed, received.AddDate(0, 1, 0)
					u.Status, u.ClosedAt, u.CaseFiled, u.Disciplined, u.OrgHandled = &status, &closed, ptrTo(i%2 == 0), ptrTo(1+i%4), ptrTo(i%2)
				}
			} else {
				status := store.ClueStudied
				u.Status = &status
			}
			if err := tx.UpdateClue(c.ID, u); err != nil {
				return err
			}
			if u.DueAt != nil && *u.Status != store.ClueClosed && u.DueAt.Before(now) {
				if err := tx.SetLadder(c.ID, *u.DueAt, 2+i%2, time.Time{}); err != nil {
					return err
				}
			}
		}
		chat, err := tx.EnsureChat("telegram", "9001", "zh", false)
		if err != nil {
			return err
		}
		p, err := tx.RedeemInvitation(code, chat.ID)
		if err != nil {
			return err
		}
		token, err = tx.CreateDeskLink(p.ID, handlers.DeskLinkTTL)
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	url, tab := serveDesk(t, ctx, prog, "zh-CN")
	bctx, step, shoot := tab.ctx, tab.step, tab.shoot

	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(handlers.DeskLink(url, token))); err != nil {
		t.Fatalf("open the link: %v", err)
	}
	step("sign in", chromedp.WaitVisible(chromedp.ID("signin")), chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.ID("filters")))
	step("the statistics", chromedp.Navigate(url+"desk/stats"), chromedp.WaitVisible(chromedp.CSS("#townships svg.bars")))
	bars, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#townships svg rect").length`))
	if err != nil || bars != 4 {
		t.Errorf("the township chart has %d bars (%v), want one per sample township", bars, err)
	}
	cols, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#months svg rect").length`))
	if err != nil || cols != 12 {
		t.Errorf("the month chart has %d columns (%v), want twelve", cols, err)
	}
	shoot("desk-stats.png")

	// A phone: the charts take the screen's width and the page does not scroll sideways.
	step("a phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#units svg.bars")))
	wide, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || wide > 390 {
		t.Errorf("on a phone the page is %d px wide (%v)", wide, err)
	}
	shoot("desk-stats-phone.png")
	if tab.shots != "" {
		step("the whole page", chromedp.EmulateViewport(1366, 2400), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#units svg.bars")))
		shoot("desk-stats-whole.png")
	}
}

func ptrTo[T any](v T) *T { return &v }
