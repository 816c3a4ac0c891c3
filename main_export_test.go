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
	_, official, resident, file := webExport(t, webReport{name: "王小明", phone: "13912345678"})
	if !strings.HasSuffix(file.Name, ".xlsx") {
		t.Fatalf("/export brought no .xlsx file: %s", file.Name)
	}
	res, err := official.http.Get(file.URL)
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
	res, err = resident.http.Get(file.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("another chat fetched the export: %s", res.Status)
	}
}

// TestWithdrawnWebFile: an official's web chat downloads the ledger export (/export), and the
// role is withdrawn. The browser keeps its cookie (a lost phone, a departed official), but the
// file's address no longer serves the ledger: the export is a staff message, and a withdrawn
// role reads no more of them, delivered or not.
func TestWithdrawnWebFile(t *testing.T) {
	env, official, _, file := webExport(t, webReport{link: "不保留"})
	get := func() int {
		t.Helper()
		res, err := official.http.Get(file.URL)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if got := get(); got != http.StatusOK {
		t.Fatalf("the official's own export: %d", got)
	}
	official.read() // the page polls again, which acknowledges the file's message

	list, _ := mustRun(t, env, "people", "list")
	mustRun(t, env, "people", "revoke", "--person", personID(t, list, "official"), "--reason", "调离")
	mustContain(t, official.do("/ledger", ""), "没有权限")
	if got := get(); got != http.StatusNotFound {
		t.Errorf("the withdrawn official's browser downloaded the ledger export again: %d", got)
	}
}

// webExport serves the sample places with an official of 新站镇 bound in the web chat and a
// report about 红旗村 filed by a resident (r says how), and returns the file the official's
// /export brings, with its full address.
func webExport(t *testing.T, r webReport) (env func(string) string, official, resident *webClient, file webFile) {
	t.Helper()
	_, env = testDB(t)
	code := inviteCode(t, env, "--role", "official", "--township", "新站镇")
	srv := startServer(t, env, &syncbuf.Buffer{})
	official = bindWeb(t, srv.url, "official", code, "绑定成功")
	resident = newWebClient(t, srv.url, "resident")
	r.category, r.village, r.subject, r.description = "违反党纪", "红旗村", "红旗村主任", "今年三月红旗村主任用公款请客，花了两千元。"
	r.file(t, resident)
	official.read()
	msgs := official.do("/export", "")
	for _, m := range msgs {
		if m.File != nil {
			file = *m.File
		}
	}
	if file.URL == "" {
		t.Fatalf("/export brought no file:\n%s", texts(msgs))
	}
	file.URL = strings.TrimSuffix(srv.url, "/") + file.URL
	return env, official, resident, file
}
