package desk_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"xuncha/internal/docx/docxtest"
	"xuncha/store"
)

// TestDeskLetter: a clue's letter downloads as a .docx, as an attachment that is never
// sniffed, audit-logged with the channel desk; another unit's letter is out of reach by
// either id.
func TestDeskLetter(t *testing.T) {
	w := newWorld(t)
	mine := w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "case1", nil)
	other := w.report(w.tw2, w.v3, "红旗村合作社", "账目不公开", "org", nil)
	var mineLetter, otherLetter *store.Letter
	if err := w.db.Update(context.Background(), func(tx *store.Tx) (err error) {
		if mineLetter, err = tx.CreateLetter(mine.ID, store.LetterReminder, w.now, 2026); err != nil {
			return err
		}
		otherLetter, err = tx.CreateLetter(other.ID, store.LetterReminder, w.now, 2026)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b := w.signIn(w.unit1)
	_, page := b.get(fmt.Sprintf("/desk/clue/%d", mine.ID))
	url := fmt.Sprintf("/desk/clue/%d/letter/%d", mine.ID, mineLetter.ID)
	if !strings.Contains(page, `<a href="`+url+`" download>提醒〔2026〕1号.docx</a>`) {
		t.Errorf("the clue page has no download of its letter:\n%s", page)
	}
	res, body := b.get(url)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the unit's letter: %d\n%s", res.StatusCode, body)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".docx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Type"), "wordprocessingml") {
		t.Errorf("headers %v", res.Header)
	}
	doc := docxtest.Document(t, []byte(body))
	for _, want := range []string{"提醒〔2026〕1号", "关于督促办理问题线索的提醒函", "市纪委监委第一纪检监察室：", mine.Number, "2026年3月2日", "县委巡察工作领导小组办公室"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the letter does not say %q", want)
		}
	}
	if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'clue.letter' AND object = ?`, "clue:"+mine.Number); n != 1 {
		t.Errorf("%d audit rows for the download", n)
	}

	refusals := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'ledger.refused'`)
	for _, path := range []string{
		fmt.Sprintf("/desk/clue/%d/letter/%d", other.ID, otherLetter.ID), // another unit's clue
		fmt.Sprintf("/desk/clue/%d/letter/%d", mine.ID, otherLetter.ID),  // its letter through our clue
	} {
		if res, body := b.get(path); res.StatusCode != http.StatusNotFound || strings.Contains(body, "word/document.xml") {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	if n := w.count(`SELECT COUNT(*) FROM audit WHERE channel = 'desk' AND action = 'ledger.refused'`); n != refusals+2 {
		t.Errorf("%d refusals logged, want 2", n-refusals)
	}
}

// TestDeskLetterTitle: a letter names the clue's category as an office writes it, without the
// examples the resident was shown beside it: "问题线索JH-2026-0001（侵害群众利益）", not
// "（侵害群众利益（村集体资金、惠农补贴、低保等））" with its brackets inside brackets.
func TestDeskLetterTitle(t *testing.T) {
	w := newWorld(t)
	var c *store.Clue
	var letter *store.Letter
	if err := w.db.Update(context.Background(), func(tx *store.Tx) (err error) {
		r := &store.Report{Category: "interests", TownshipID: w.tw1, VillageID: w.v1, Subject: "东风村会计", Description: "低保优亲厚友",
			Anonymous: true, Lang: "zh"}
		if _, err := tx.CreateReport(r, nil); err != nil {
			return err
		}
		c = &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Title: "侵害群众利益（村集体资金、惠农补贴、低保等）", Subject: r.Subject,
			Summary: r.Description, TownshipID: w.tw1, VillageID: w.v1}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		u, s, due := w.ledger.CanonicalUnit("case1"), store.ClueTransferred, w.now
		if err := tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &u, Status: &s, DueAt: &due}); err != nil {
			return err
		}
		letter, err = tx.CreateLetter(c.ID, store.LetterReminder, w.now, 2026)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b := w.signIn(w.admin)
	res, body := b.get(fmt.Sprintf("/desk/clue/%d/letter/%d", c.ID, letter.ID))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the letter: %d", res.StatusCode)
	}
	doc := docxtest.Document(t, []byte(body))
	if !strings.Contains(doc, c.Number+"（侵害群众利益）") || strings.Contains(doc, "低保等") {
		t.Errorf("the letter names the clue as:\n%s", doc)
	}
}
