package handlers

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"xuncha/internal/textsafe"
	"xuncha/store"
)

// LedgerHeaders are the export's columns, one row per clue. No column holds anything about the
// reporter beyond whether the report was anonymous.
var LedgerHeaders = []string{"线索编号", "来源", "登记日期", "类别", "乡镇", "村", "涉及对象", "问题摘要", "状态", "处置方式",
	"四种形态", "承办单位", "边巡边移", "办理期限", "签收日期", "办结日期", "是否立案", "党纪政务处分人数", "组织处理人数", "重复线索"}

// TimelineHeaders are the columns of the timeline sheet.
var TimelineHeaders = []string{"线索编号", "时间", "事项", "内容"}

// LedgerRows reads the clues a filter selects, and their timelines, as table rows in Chinese.
// No column holds anything about a reporter.
func LedgerRows(tx *store.Tx, cf store.ClueFilter, loc *time.Location, l *Ledger, cats []Category) (rows, timeline [][]string, err error) {
	const zh = LangZH
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02")
	}
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	catName := map[string]string{}
	for _, k := range cats {
		catName[k.Key] = k.ZH
	}
	townships, villages := map[int64]string{}, map[int64]string{}
	tws, err := tx.Townships()
	if err != nil {
		return nil, nil, err
	}
	for _, tw := range tws {
		townships[tw.ID] = tw.Name
		vs, err := tx.Villages(tw.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, v := range vs {
			villages[v.ID] = v.Name
		}
	}
	clues, err := tx.Clues(cf)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range clues {
		source := "巡察发现"
		if c.Source == store.ClueFromReport {
			source = "群众举报（匿名）"
			if c.Named {
				source = "群众举报（实名）"
			}
		}
		cat := c.Title
		if n, ok := catName[c.Category]; ok {
			cat = n
		}
		links, err := tx.ClueLinks(c.ID)
		if err != nil {
			return nil, nil, err
		}
		unit := ""
		if c.Unit != "" {
			unit = l.UnitName(c.Unit, zh)
		}
		disposal := ""
		if c.Disposal != "" {
			disposal = l.DisposalName(c.Disposal, zh)
		}
		while := ""
		if c.Unit != "" {
			while = yes(c.WhileInspecting)
		}
		rows = append(rows, []string{c.Number, source, day(c.ReceivedAt), cat, townships[c.TownshipID], villages[c.VillageID],
			c.Subject, c.Summary, T(zh, "lg.status."+c.Status), disposal, l.FormName(c.Form, zh), unit, while,
			day(c.DueAt), day(c.AckedAt), day(c.ClosedAt), yes(c.CaseFiled), strconv.Itoa(c.Disciplined),
			strconv.Itoa(c.OrgHandled), strings.Join(links, " ")})
		events, err := tx.ClueEvents(c.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range events {
			label, body, _ := strings.Cut(EventText(zh, l, e), "：")
			timeline = append(timeline, []string{c.Number, e.CreatedAt.In(loc).Format("2006-01-02 15:04"), label, body})
		}
	}
	return rows, timeline, nil
}

// WriteXLSX writes the clues and the timeline as two sheets with excelize: a maintained
// library rather than hand-written OOXML, which Excel and WPS are picky about.
func WriteXLSX(w io.Writer, rows, timeline [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	const clues, events = "线索台账", "办理记录"
	if err := f.SetSheetName("Sheet1", clues); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if _, err := f.NewSheet(events); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	for _, sheet := range []struct {
		name    string
		headers []string
		rows    [][]string
	}{{clues, LedgerHeaders, rows}, {events, TimelineHeaders, timeline}} {
		sw, err := f.NewStreamWriter(sheet.name)
		if err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		if err := sw.SetRow("A1", cells(sheet.headers), excelize.RowOpts{StyleID: bold}); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		for i, r := range sheet.rows {
			if err := sw.SetRow(fmt.Sprintf("A%d", i+2), cells(r)); err != nil {
				return fmt.Errorf("xlsx: %w", err)
			}
		}
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// cells are a row's values as excelize takes them. excelize stores a string as text, never as
// a formula, but a sheet saved again as CSV and reopened would make "=…" live: the values
// are neutralised as for the CSV export (textsafe.Cell), which also keeps control characters,
// which XML cannot hold, out of the file.
func cells(row []string) []any {
	out := make([]any, len(row))
	for i, v := range row {
		out[i] = textsafe.Cell(v)
	}
	return out
}

// WriteCSV writes the clues as UTF-8 with a byte-order mark, which Excel needs to read Chinese.
func WriteCSV(w io.Writer, rows [][]string) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(LedgerHeaders); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	// A resident's text that starts a formula (=HYPERLINK(…)) is made text, and control and
	// bidi characters are dropped (textsafe.Cell).
	for _, r := range rows {
		safe := make([]string, len(r))
		for i, v := range r {
			safe[i] = textsafe.Cell(v)
		}
		if err := cw.Write(safe); err != nil {
			return fmt.Errorf("csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}
