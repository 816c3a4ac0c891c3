package handlers

import (
	"archive/zip"
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
var LedgerHeaders = []string{"线索编号", "来源", "登记日期", "类别", "乡镇", "村", "涉及对象", "问题摘要", "状态", "办理阶段", "预警", "处置方式",
	"四种形态", "承办单位", "边巡边移", "办理期限", "签收日期", "办结日期", "是否立案", "党纪政务处分人数", "组织处理人数", "重复线索"}

// TimelineHeaders are the columns of the timeline sheet.
var TimelineHeaders = []string{"线索编号", "时间", "事项", "内容"}

// LedgerRows reads the clues a filter selects, and their timelines, as table rows in Chinese.
// No column holds anything about a reporter. It holds them all in memory: for the whole
// ledger use EachLedgerRow.
func LedgerRows(tx *store.Tx, cf store.ClueFilter, loc *time.Location, l *Ledger, cats []Category) (rows, timeline [][]string, err error) {
	_, err = EachLedgerRow(tx, cf, loc, l, cats, func(row []string, events [][]string) error {
		rows, timeline = append(rows, row), append(timeline, events...)
		return nil
	})
	return rows, timeline, err
}

// EachLedgerRow calls fn with each clue a filter selects as a table row in Chinese, with the
// rows of its timeline, one clue at a time, and returns how many there were. No column holds
// anything about a reporter.
func EachLedgerRow(tx *store.Tx, cf store.ClueFilter, loc *time.Location, l *Ledger, cats []Category,
	fn func(row []string, timeline [][]string) error) (int, error) {
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
		return 0, err
	}
	for _, tw := range tws {
		townships[tw.ID] = tw.Name
		vs, err := tx.Villages(tw.ID)
		if err != nil {
			return 0, err
		}
		for _, v := range vs {
			villages[v.ID] = v.Name
		}
	}
	n := 0
	err = tx.EachClue(cf, func(c *store.Clue) error {
		n++
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
			return err
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
		// The clue's stage and its colour on the stage's clock, in words (a printed sheet has
		// no colours).
		col := l.ClueColour(c, zh, tx.Now())
		row := []string{c.Number, source, day(c.ReceivedAt), cat, townships[c.TownshipID], villages[c.VillageID],
			c.Subject, c.Summary, T(zh, "lg.status."+c.Status), col.Stage, col.Label, disposal, l.FormName(c.Form, zh), unit, while,
			day(c.DueAt), day(c.AckedAt), day(c.ClosedAt), yes(c.CaseFiled), strconv.Itoa(c.Disciplined),
			strconv.Itoa(c.OrgHandled), strings.Join(links, " ")}
		events, err := tx.ClueEvents(c.ID)
		if err != nil {
			return err
		}
		timeline := make([][]string, 0, len(events))
		for _, e := range events {
			label, body, _ := strings.Cut(EventText(zh, l, e), "：")
			timeline = append(timeline, []string{c.Number, e.CreatedAt.In(loc).Format("2006-01-02 15:04"), label, body})
		}
		return fn(row, timeline)
	})
	return n, err
}

// XLSXWriter writes the clues and the timeline as two sheets with excelize (a maintained
// library rather than hand-written OOXML, which Excel and WPS are picky about), row by row
// through its stream writers: they spill to temporary files, so memory stays flat however
// large the ledger.
type XLSXWriter struct {
	w             io.Writer
	f             *excelize.File
	clues, events *excelize.StreamWriter
	nClue, nEvent int
}

// NewXLSXWriter starts a workbook that Close writes to w.
func NewXLSXWriter(w io.Writer) (*XLSXWriter, error) {
	x := &XLSXWriter{w: w, f: excelize.NewFile()}
	// excelize assembles the archive in a bytes.Buffer before writing it out (File.WriteTo),
	// which grows with the ledger; its zip writer hook gets that buffer, and is given w
	// instead, so the sheets go from their temporary files straight to w. (The buffer's
	// only other use is marking entries over 4 GB as zip64, which archive/zip does itself.)
	x.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	if err := x.start(); err != nil {
		x.f.Close()
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return x, nil
}

func (x *XLSXWriter) start() error {
	const clues, events = "线索台账", "办理记录"
	if err := x.f.SetSheetName("Sheet1", clues); err != nil {
		return err
	}
	if _, err := x.f.NewSheet(events); err != nil {
		return err
	}
	bold, err := x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if x.clues, err = x.f.NewStreamWriter(clues); err != nil {
		return err
	}
	if x.events, err = x.f.NewStreamWriter(events); err != nil {
		return err
	}
	if err := x.clues.SetRow("A1", cells(LedgerHeaders), excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	return x.events.SetRow("A1", cells(TimelineHeaders), excelize.RowOpts{StyleID: bold})
}

// Add writes one clue's row (none when row is nil) and its timeline rows.
func (x *XLSXWriter) Add(row []string, timeline [][]string) error {
	if row != nil {
		x.nClue++
		if err := x.clues.SetRow("A"+strconv.Itoa(x.nClue+1), cells(row)); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	for _, r := range timeline {
		x.nEvent++
		if err := x.events.SetRow("A"+strconv.Itoa(x.nEvent+1), cells(r)); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	return nil
}

// Close finishes the sheets and writes the workbook.
func (x *XLSXWriter) Close() error {
	defer x.f.Close()
	for _, sw := range []*excelize.StreamWriter{x.clues, x.events} {
		if err := sw.Flush(); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	if err := x.f.Write(x.w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// WriteXLSX writes the clues and the timeline as two sheets.
func WriteXLSX(w io.Writer, rows, timeline [][]string) error {
	x, err := NewXLSXWriter(w)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := x.Add(r, nil); err != nil {
			x.f.Close()
			return err
		}
	}
	if err := x.Add(nil, timeline); err != nil {
		x.f.Close()
		return err
	}
	return x.Close()
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

// CSVWriter writes the clues as UTF-8 with a byte-order mark, which Excel needs to read
// Chinese, row by row.
type CSVWriter struct{ cw *csv.Writer }

// NewCSVWriter writes the byte-order mark and the header to w.
func NewCSVWriter(w io.Writer) (*CSVWriter, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	c := &CSVWriter{cw: csv.NewWriter(w)}
	if err := c.cw.Write(LedgerHeaders); err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	return c, nil
}

// Add writes one clue's row (the CSV has no timeline). A resident's text that starts a
// formula (=HYPERLINK(…)) is made text, and control and bidi characters are dropped
// (textsafe.Cell).
func (c *CSVWriter) Add(row []string, _ [][]string) error {
	safe := make([]string, len(row))
	for i, v := range row {
		safe[i] = textsafe.Cell(v)
	}
	if err := c.cw.Write(safe); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// Close flushes what is buffered.
func (c *CSVWriter) Close() error {
	c.cw.Flush()
	if err := c.cw.Error(); err != nil {
		return fmt.Errorf("csv: %w", err)
	}
	return nil
}

// WriteCSV writes the clues as CSV.
func WriteCSV(w io.Writer, rows [][]string) error {
	c, err := NewCSVWriter(w)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := c.Add(r, nil); err != nil {
			return err
		}
	}
	return c.Close()
}
