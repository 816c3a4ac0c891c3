package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"xuncha/internal/syncbuf"
)

// TestWithdrawnWebFile: an official's web chat downloads the ledger export (/export), and the
// role is withdrawn. The browser keeps its cookie (a lost phone, a departed official), but the
// file's address no longer serves the ledger: the export is a staff message, and a withdrawn
// role reads no more of them, delivered or not.
func TestWithdrawnWebFile(t *testing.T) {
	dir := t.TempDir()
	env := testEnv("XUNCHA_DB", filepath.Join(dir, "x.db"))
	mustRun(t, env, "places", "import", "samples/places.sample.csv")
	out, _ := mustRun(t, env, "invite", "--role", "official", "--township", "新站镇")
	code := regexp.MustCompile(`/bind (\S+)`).FindStringSubmatch(out)[1]
	srv := startServer(t, env, &syncbuf.Buffer{})

	official := newWebClient(t, srv.url, "official")
	mustContain(t, official.do("/bind "+code, ""), "绑定成功")
	resident := newWebClient(t, srv.url, "resident")
	msgs := resident.do("/report", "")
	msgs = resident.do("", button(t, msgs, "违反党纪"))
	msgs = resident.do("", button(t, msgs, "新站镇"))
	msgs = resident.do("", button(t, msgs, "红旗村"))
	resident.do("红旗村主任", "")
	resident.do("今年三月红旗村主任用公款请客，花了两千元。", "")
	msgs = resident.do("", "done")
	msgs = resident.do("", button(t, msgs, "匿名举报"))
	msgs = resident.do("", button(t, msgs, "不保留"))
	resident.do("", button(t, msgs, "确认提交"))
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
