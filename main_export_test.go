package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"xuncha/handlers"
	"xuncha/internal/syncbuf"
)

// TestExportInChat: an official's /export in the web chat brings the ledger as an .xlsx file
// with the export's headers and the clue; the file is given to that chat only, and holds
// nothing of the reporter.
func TestExportInChat(t *testing.T) {
	_, env := testDB(t)
	code := inviteCode(t, env, "--role", "official", "--township", "新站镇")
	srv := startServer(t, env, &syncbuf.Buffer{})

	official := newWebClient(t, srv.url, "official")
	mustContain(t, official.do("/bind "+code, ""), "巡察工作人员")
	resident := newWebClient(t, srv.url, "resident")
	webReport{category: "违反党纪", village: "红旗村", subject: "红旗村主任", description: "今年三月红旗村主任用公款请客，花了两千元。",
		name: "王小明", phone: "13912345678"}.file(t, resident)
	official.read()

	msgs := official.do("/export", "")
	var file *struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	for _, m := range msgs {
		if m.File != nil {
			file = m.File
		}
	}
	if file == nil || !strings.HasSuffix(file.Name, ".xlsx") {
		t.Fatalf("/export brought no .xlsx file:\n%s", texts(msgs))
	}
	url := strings.TrimSuffix(srv.url, "/") + file.URL
	res, err := official.http.Get(url)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("download: %v %v", err, res)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the file does not open with excelize: %v", err)
	}
	rows, err := x.GetRows(x.GetSheetList()[0])
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %v, %v; want the header and one clue", rows, err)
	}
	if strings.Join(rows[0], ",") != strings.Join(handlers.LedgerHeaders, ",") || !strings.HasPrefix(rows[1][0], "JH-") {
		t.Errorf("rows: %q", rows)
	}
	for _, secret := range []string{"王小明", "13912345678", resident.chatID()} {
		if bytes.Contains(data, []byte(secret)) || strings.Contains(strings.Join(rows[1], ","), secret) {
			t.Errorf("the export holds %q", secret)
		}
	}
	// Another chat cannot fetch it, even with the address.
	res, err = resident.http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("another chat fetched the export: %s", res.Status)
	}
}
