package desk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
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
