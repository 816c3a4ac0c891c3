package desk_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// TestDeskOverdueColour: a clue past its deadline on which the ladder has taken no step yet
// (its pass runs once a day) is not shown as "green: on time" beside its "overdue" tag, on
// the ledger or the clue page: it says it is overdue and that its reminder letter is due.
func TestDeskOverdueColour(t *testing.T) {
	w := newWorld(t)
	late := w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "case1", nil) // due in three days
	w.advance(96 * time.Hour)
	onTime := w.report(w.tw1, w.v1, "东风村会计", "账目不公开", "case2", nil)
	b := w.signIn(w.admin)

	_, page := b.get("/desk/?due=over")
	i := strings.Index(page, late.Number)
	if i < 0 {
		t.Fatalf("the overdue view does not show %s:\n%s", late.Number, page)
	}
	row := page[i:]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, "按期") || !strings.Contains(row, `<span class="light late"`) || !strings.Contains(row, "已超期·待发提醒函") {
		t.Errorf("the overdue clue's row reads:\n%s", row)
	}
	_, page = b.get(fmt.Sprintf("/desk/clue/%d", late.ID))
	if strings.Contains(page, "按期") || !strings.Contains(page, "已超期·待发提醒函") {
		t.Errorf("the overdue clue's page does not say it is overdue with its letter due")
	}
	_, page = b.get(fmt.Sprintf("/desk/clue/%d", onTime.ID))
	if !strings.Contains(page, "🟢绿灯·按期") || strings.Contains(page, "待发提醒函") {
		t.Errorf("a clue before its deadline is not green, on time")
	}
}

// TestDeskClueFacts: the clue page's facts read as a person reads them, in both languages: the
// warning light and the clock are two rows with two names (in English both were "Clock"), the
// outcome's label is a label ("Outcome", not the timeline's "outcome"), and a closed clue
// does not say its clock is running.
func TestDeskClueFacts(t *testing.T) {
	w := newWorld(t)
	open := w.report(w.tw1, w.v1, "东风村村委会", "惠农补贴被截留", "case1", nil)
	closed := w.report(w.tw1, w.v1, "东风村会计", "低保优亲厚友", "case1", nil)
	if err := w.db.Update(context.Background(), func(tx *store.Tx) error {
		s, at := store.ClueClosed, w.now
		return tx.UpdateClue(closed.ID, store.ClueUpdate{Status: &s, ClosedAt: &at, CaseFiled: ptr(true), Disciplined: ptr(2), OrgHandled: ptr(1)})
	}); err != nil {
		t.Fatal(err)
	}
	b := w.signIn(w.admin)
	for _, lang := range []struct{ accept, colour, clock, running, outcome string }{
		{"zh-CN", "<dt>预警</dt>", "<dt>计时</dt>", "计时中", "<dt>办理结果</dt>"},
		{"en-US,en;q=0.9", "<dt>Warning</dt>", "<dt>Clock</dt>", "Running", "<dt>Outcome</dt>"},
	} {
		b.header.Set("Accept-Language", lang.accept)
		_, page := b.get(fmt.Sprintf("/desk/clue/%d", open.ID))
		if strings.Count(page, lang.colour) != 1 || strings.Count(page, lang.clock) != 1 || !strings.Contains(page, lang.running) {
			t.Errorf("%s: the open clue's facts want one %s, one %s and %q", lang.accept, lang.colour, lang.clock, lang.running)
		}
		_, page = b.get(fmt.Sprintf("/desk/clue/%d", closed.ID))
		if strings.Contains(page, lang.clock) || strings.Contains(page, lang.running) {
			t.Errorf("%s: the closed clue says its clock runs", lang.accept)
		}
		if !strings.Contains(page, lang.outcome) {
			t.Errorf("%s: the closed clue's outcome is not labelled %s", lang.accept, lang.outcome)
		}
	}
}

// TestDeskNoPage: an address the desk does not have (a link cut off in a chat, a typo) gets
// the desk's page in the reader's language with the way back, not Go's bare English "404 page
// not found"; without a session, the sign-in notice.
func TestDeskNoPage(t *testing.T) {
	w := newWorld(t)
	b := w.signIn(w.official)
	for _, lang := range []struct{ accept, want string }{{"zh-CN", "工作台没有这个页面"}, {"en-US", "The desk has no such page"}} {
		b.header.Set("Accept-Language", lang.accept)
		for _, path := range []string{"/desk/nothing", "/desk/clue/", "/desk/clue/1/photos"} {
			res, page := b.get(path)
			if res.StatusCode != 404 || !strings.Contains(page, lang.want) || !strings.Contains(page, `href="/desk/"`) || strings.Contains(page, "404 page not found") {
				t.Errorf("%s %s: %d\n%s", lang.accept, path, res.StatusCode, page)
			}
		}
	}
	if res, page := w.browser().get("/desk/nothing"); !strings.Contains(page, "请先登录") {
		t.Errorf("without a session: %d\n%s", res.StatusCode, page)
	}
}
