package desk_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"xuncha/store"
)

// statsClue registers a clue received at a day and applies u to it.
func (w *world) statsClue(township int64, received time.Time, u store.ClueUpdate, level int) int64 {
	w.t.Helper()
	var id int64
	err := w.db.Update(context.Background(), func(tx *store.Tx) error {
		c := &store.Clue{Source: store.ClueFromInspection, Subject: fmt.Sprintf("对象%d", received.Unix()), Summary: "摘要",
			TownshipID: township, ReceivedAt: received}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		id = c.ID
		if err := tx.UpdateClue(c.ID, u); err != nil {
			return err
		}
		if level != 0 {
			return tx.SetLadder(c.ID, *u.DueAt, level, time.Time{})
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func ptr[T any](v T) *T { return &v }

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t.Add(10 * time.Hour)
}

// statsFixture is five clues whose every figure is known (the world's clock: 2026-03-02 09:00):
//
//	A 新站镇 2026-01-10 transferred to case1, talk, form 2, due 2026-02-01 (overdue), reminder letter
//	B 新站镇 2026-02-05 case1, case, form 3, while inspecting, closed 2026-02-20: case filed, 2 disciplined, 1 org. handling
//	C 新站镇 2026-03-01 new
//	D 天岗镇 2026-02-10 transferred to 市委组织部, verify, form 1, due 2026-04-01
//	E 天岗镇 2024-12-01 new: before the default twelve months
func (w *world) statsFixture() {
	w.statsClue(w.tw1, day("2026-01-10"), store.ClueUpdate{Status: ptr(store.ClueTransferred), Unit: ptr(w.ledger.CanonicalUnit("case1")), Disposal: ptr("talk"),
		Form: ptr(2), DueAt: ptr(day("2026-02-01"))}, store.LadderReminder)
	w.statsClue(w.tw1, day("2026-02-05"), store.ClueUpdate{Status: ptr(store.ClueClosed), Unit: ptr(w.ledger.CanonicalUnit("case1")), Disposal: ptr("case"),
		Form: ptr(3), WhileInspecting: ptr(true), DueAt: ptr(day("2026-02-25")), ClosedAt: ptr(day("2026-02-20")),
		CaseFiled: ptr(true), Disciplined: ptr(2), OrgHandled: ptr(1)}, 0)
	w.statsClue(w.tw1, day("2026-03-01"), store.ClueUpdate{}, 0)
	w.statsClue(w.tw2, day("2026-02-10"), store.ClueUpdate{Status: ptr(store.ClueTransferred), Unit: ptr(w.ledger.CanonicalUnit("org")), Disposal: ptr("verify"),
		Form: ptr(1), DueAt: ptr(day("2026-04-01"))}, 0)
	w.statsClue(w.tw2, day("2024-12-01"), store.ClueUpdate{}, 0)
}

// statsCSV downloads the statistics export of a query and returns its tables: title → first
// cell of a row → the row's other cells.
func (b *browser) statsCSV(query string) map[string]map[string][]string {
	b.w.t.Helper()
	res, body := b.get("/desk/stats/export?" + query)
	if res.StatusCode != http.StatusOK {
		b.w.t.Fatalf("export: %d\n%s", res.StatusCode, body)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		b.w.t.Errorf("export Content-Disposition %q", cd)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		b.w.t.Fatalf("export is not CSV: %v\n%s", err, body)
	}
	out := map[string]map[string][]string{}
	var title string
	for i, rec := range recs {
		switch {
		case i == 0: // the file's own title, scope and period
		case len(rec) == 1: // a table's title (the blank line before it the reader skips)
			title = rec[0]
			out[title] = map[string][]string{}
		default:
			out[title][rec[0]] = rec[1:]
		}
	}
	return out
}

// want checks one cell of the export: table, row, the value in its first number column.
func want(t *testing.T, who string, tables map[string]map[string][]string, table, row, value string) {
	t.Helper()
	rows, ok := tables[table]
	if !ok {
		t.Errorf("%s: no table %q", who, table)
		return
	}
	got := rows[row]
	if value == "" {
		if got != nil {
			t.Errorf("%s: %s has a row %q: %v", who, table, row, got)
		}
		return
	}
	if len(got) == 0 || got[0] != value {
		t.Errorf("%s: %s / %s = %v, want %s", who, table, row, got, value)
	}
}

// TestDeskStats: the statistics of a known ledger, counted for an administrator, an official
// of one township and a unit: each sees their own scope (a township asked for in the URL does
// not widen an official's), and the numbers match the fixture, in the tables and the charts.
func TestDeskStats(t *testing.T) {
	w := newWorld(t)
	w.statsFixture()

	admin := w.signIn(w.admin)
	tables := admin.statsCSV("")
	for row, n := range map[string]string{"受理线索": "4", "移交线索": "3", "其中边巡边移": "1", "立案": "1",
		"党纪政务处分（人）": "2", "组织处理（人）": "1", "办结销号": "1"} {
		want(t, "admin", tables, "总体情况", row, n)
	}
	want(t, "admin", tables, "各乡镇线索数", "新站镇", "3")
	want(t, "admin", tables, "各乡镇线索数", "天岗镇", "1")
	want(t, "admin", tables, "每月线索数", "2026-02", "2")
	want(t, "admin", tables, "每月线索数", "2025-04", "0") // the period's first month, empty but shown
	want(t, "admin", tables, "处置方式", "谈话函询", "1")
	want(t, "admin", tables, "处置方式", "移送审查调查", "1")
	want(t, "admin", tables, "四种形态", "第三种形态", "1")
	want(t, "admin", tables, "在办线索督办等级", "已发提醒函", "1")
	want(t, "admin", tables, "在办线索督办等级", "未超期、未督办", "2") // C and D
	if got := tables["各承办单位移交与办理结果"]["市纪委监委第一纪检监察室"]; strings.Join(got, ",") != "2,1,1,1,2,1" {
		t.Errorf("admin: case office 1 row %v, want transferred 2, closed 1, overdue 1, filed 1, 2 disciplined, 1 org.", got)
	}
	want(t, "admin", tables, "每月集中梳理：全县（2026-03）", "已移交", "2")
	want(t, "admin", tables, "每月集中梳理：全县（2026-03）", "新登记", "2")
	want(t, "admin", tables, "每月集中梳理：全县（2026-03）", "超期：已发提醒函", "1")
	want(t, "admin", tables, "每月集中梳理：全县（2026-03）", "2026-02 办结销号", "1")
	// All time (the start cleared) counts E too; a round's or a township's view narrows.
	want(t, "admin", admin.statsCSV("from="), "总体情况", "受理线索", "5")
	want(t, "admin", admin.statsCSV(fmt.Sprintf("from=&tw=%d", w.tw2)), "总体情况", "受理线索", "2")
	want(t, "admin", admin.statsCSV("from=2026-02-01&to=2026-02-28"), "总体情况", "受理线索", "2")

	// The official of 新站镇: their township only, whatever the URL asks.
	off := w.signIn(w.official)
	for _, q := range []string{"", fmt.Sprintf("tw=%d", w.tw2), fmt.Sprintf("from=&tw=%d", w.tw2)} {
		tables := off.statsCSV(q)
		want(t, "official "+q, tables, "总体情况", "受理线索", "3")
		want(t, "official "+q, tables, "各乡镇线索数", "新站镇", "3")
		want(t, "official "+q, tables, "各乡镇线索数", "天岗镇", "")
		want(t, "official "+q, tables, "各承办单位移交与办理结果", "市委组织部", "")
		want(t, "official "+q, tables, "每月集中梳理：新站镇（2026-03）", "已移交", "1")
	}
	res, page := off.get(fmt.Sprintf("/desk/stats?tw=%d", w.tw2))
	if res.StatusCode != http.StatusOK || strings.Contains(page, "天岗镇") {
		t.Errorf("official's page: %d, names the other township: %v", res.StatusCode, strings.Contains(page, "天岗镇"))
	}

	// A unit: its own clues only.
	unit := w.signIn(w.unit1)
	tables = unit.statsCSV("from=")
	want(t, "unit", tables, "总体情况", "受理线索", "2")
	want(t, "unit", tables, "总体情况", "立案", "1")
	want(t, "unit", tables, "各乡镇线索数", "新站镇", "2")
	want(t, "unit", tables, "各乡镇线索数", "天岗镇", "")
	want(t, "unit", tables, "各承办单位移交与办理结果", "市委组织部", "")
	want(t, "unit", tables, "每月集中梳理：市纪委监委第一纪检监察室（2026-03）", "已移交", "1")
	unit2 := w.signIn(w.unit2)
	want(t, "unit 2", unit2.statsCSV("from="), "总体情况", "受理线索", "1")
	// A township in the URL narrows within the scope, never beyond it.
	want(t, "unit 2", unit2.statsCSV(fmt.Sprintf("from=&tw=%d", w.tw1)), "总体情况", "受理线索", "0")

	// The charts draw the same numbers: a bar per township with its total.
	_, page = admin.get("/desk/stats")
	for _, s := range []string{`<svg class="bars"`, `<svg class="columns"`, `>新站镇</text>`, `class="value">3</text>`, `<caption class="sr-only">各乡镇线索数</caption>`} {
		if !strings.Contains(page, s) {
			t.Errorf("admin's page lacks %s", s)
		}
	}
	if n := w.count(`SELECT COUNT(*) FROM audit WHERE action IN ('stats.view', 'stats.export') AND channel = 'desk'`); n < 10 {
		t.Errorf("%d audit rows for the statistics, want one per view and export", n)
	}
}

// TestDeskStatsHostileNames: a township named with markup and one named as a formula are text
// in the page's SVG and tables and in the CSV; the page carries no script, no inline style or
// event handler, and the policy allows none.
func TestDeskStatsHostileNames(t *testing.T) {
	w := newWorld(t)
	const markup = `<script>alert(1)</script><svg onload=alert(2)>镇`
	const formula = `=HYPERLINK("http://evil.example/","镇")`
	if _, err := w.db.ImportPlaces(context.Background(), []store.PlaceRow{
		{Township: markup, Village: "一村", Class: "general"}, {Township: formula, Village: "二村", Class: "general"},
	}); err != nil {
		t.Fatal(err)
	}
	tw1, _, err := w.db.FindPlaceByName(context.Background(), markup, "")
	if err != nil {
		t.Fatal(err)
	}
	tw2, _, err := w.db.FindPlaceByName(context.Background(), formula, "")
	if err != nil {
		t.Fatal(err)
	}
	w.statsClue(tw1, day("2026-02-01"), store.ClueUpdate{}, 0)
	w.statsClue(tw2, day("2026-02-02"), store.ClueUpdate{}, 0)

	b := w.signIn(w.admin)
	res, page := b.get("/desk/stats")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("page: %d\n%s", res.StatusCode, page)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q allows script or inline style", csp)
	}
	lower := strings.ToLower(page)
	for _, bad := range []string{"<script", "<svg onload", " style=", "javascript:"} {
		if strings.Contains(lower, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+=`).FindString(page); m != "" {
		t.Errorf("page holds an event handler: %s", m)
	}
	// The label is cut to fit the chart, the full name in its tooltip and the table, escaped.
	for _, s := range []string{`<title>&lt;script&gt;alert(1)&lt;/script&gt;&lt;svg onload=alert(2)&gt;镇</title>`, `>&lt;script&gt;alert(1…</text>`,
		`<th scope="row">&lt;script&gt;alert(1)&lt;/script&gt;&lt;svg onload=alert(2)&gt;镇</th>`} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks the escaped name %s", s)
		}
	}
	res, body := b.get("/desk/stats/export?from=")
	if res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("export without nosniff")
	}
	if !strings.Contains(body, `"'=HYPERLINK(""http://evil.example/"",""镇"")",1`) {
		t.Errorf("the formula township is not made text in the CSV:\n%s", body)
	}
}

// TestDeskStatsRefused: a role without the desk never reaches the statistics, and a signed-out
// browser is sent to sign in.
func TestDeskStatsRefused(t *testing.T) {
	w := newWorld(t)
	res, _ := w.browser().get("/desk/stats")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out: %d", res.StatusCode)
	}
	res, _ = w.browser().get("/desk/stats/export")
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed out export: %d", res.StatusCode)
	}
}

// TestDeskStatsEnglishLabels: a bar's label gets the same room in English as in Chinese, a
// Chinese character counting as two letters. Cut to eight characters like Chinese, English
// charts read "Prelimi…", "Second …", "Organis…": the chart could not be read without its table.
func TestDeskStatsEnglishLabels(t *testing.T) {
	w := newWorld(t)
	w.statsFixture()
	b := w.signIn(w.admin)
	b.header.Set("Accept-Language", "en-US,en;q=0.9")
	_, page := b.get("/desk/stats")
	for _, want := range []string{">Preliminary ver…</text>", ">Talk or inquiry…</text>", ">Second form</text>", ">Organisation de…</text>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the English statistics have no label %s", want)
		}
	}
	b.header.Set("Accept-Language", "zh-CN")
	_, page = b.get("/desk/stats")
	for _, want := range []string{">初步核实</text>", ">市纪委监委第一…</text>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the Chinese statistics have no label %s", want)
		}
	}
}

// TestDeskStatsReviewRows: the monthly review's overdue clues without a letter say so once
// ("超期：尚未发函", "Overdue: no letter yet"), not "超期：已超期、尚未发函", "Overdue: Overdue, no
// letter yet".
func TestDeskStatsReviewRows(t *testing.T) {
	w := newWorld(t)
	w.statsFixture()
	b := w.signIn(w.admin)
	for _, lang := range []struct{ accept, want, bad string }{
		{"zh-CN", `<th scope="row">超期：尚未发函</th>`, "超期：已超期"},
		{"en-US", `<th scope="row">Overdue: no letter yet</th>`, "Overdue: Overdue"},
	} {
		b.header.Set("Accept-Language", lang.accept)
		if _, page := b.get("/desk/stats"); !strings.Contains(page, lang.want) || strings.Contains(page, lang.bad) {
			t.Errorf("%s: the review's rows do not read %s", lang.accept, lang.want)
		}
	}
}
