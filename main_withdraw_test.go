package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"xuncha/internal/syncbuf"
)

// TestWithdrawnWebFile: an official's web chat downloads the ledger export (/export), and the
// role is withdrawn. The browser keeps its cookie (a lost phone, a departed official), but the
// file's address no longer serves the ledger: the export is a staff message, and a withdrawn
// role reads no more of them, delivered or not.
func TestWithdrawnWebFile(t *testing.T) {
	_, env := testDB(t)
	code := inviteCode(t, env, "--role", "official", "--township", "新站镇")
	srv := startServer(t, env, &syncbuf.Buffer{})

	official := newWebClient(t, srv.url, "official")
	mustContain(t, official.do("/bind "+code, ""), "绑定成功")
	resident := newWebClient(t, srv.url, "resident")
	webReport{category: "违反党纪", village: "红旗村", subject: "红旗村主任", description: "今年三月红旗村主任用公款请客，花了两千元。",
		link: "不保留"}.file(t, resident)
	official.read()

	var url string
	for _, m := range official.do("/export", "") {
		if m.File != nil {
			url = strings.TrimSuffix(srv.url, "/") + m.File.URL
		}
	}
	if url == "" {
		t.Fatal("/export brought no file")
	}
	get := func() int {
		t.Helper()
		res, err := official.http.Get(url)
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
