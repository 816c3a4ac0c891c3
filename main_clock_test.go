package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"xuncha/internal/syncbuf"
)

// TestClueKeeperCLI: `xuncha clue keeper` assigns a clue's keeper by person id, names them by
// their invitation's note, refuses a person who is not an official, and writes the audit log.
func TestClueKeeperCLI(t *testing.T) {
	dir := t.TempDir()
	env := testEnv("XUNCHA_DB", filepath.Join(dir, "x.db"))
	mustRun(t, env, "places", "import", "samples/places.sample.csv")
	bindCode := regexp.MustCompile(`/bind (\S+)`)
	offOut, _ := mustRun(t, env, "invite", "--role", "official", "--township", "新站镇", "--note", "王五 巡察办")
	unitOut, _ := mustRun(t, env, "invite", "--role", "unit", "--unit", "case1")
	srv := startServer(t, env, &syncbuf.Buffer{})
	mustContain(t, newWebClient(t, srv.url, "official").do("/bind "+bindCode.FindStringSubmatch(offOut)[1], ""), "绑定成功")
	mustContain(t, newWebClient(t, srv.url, "unit").do("/bind "+bindCode.FindStringSubmatch(unitOut)[1], ""), "绑定成功")
	srv.stop(t)
	list, _ := mustRun(t, env, "people", "list")
	official, unit := personID(t, list, "official"), personID(t, list, "unit")
	out, _ := mustRun(t, env, "clue", "add", "--subject", "新站镇农经站", "--summary", "账目不清", "--township", "新站镇")
	number := regexp.MustCompile(`JH-\d{4}-\d{4}`).FindString(out)

	out, _ = mustRun(t, env, "clue", "keeper", "--clue", number, "--person", official)
	if !strings.Contains(out, "王五 巡察办（#"+official+"）") {
		t.Errorf("clue keeper: %s", out)
	}
	var o, e bytes.Buffer
	err := run(t.Context(), []string{"xuncha", "clue", "keeper", "--clue", number, "--person", unit}, env, nil, &o, &e)
	if err == nil || !strings.Contains(err.Error(), "not an official") {
		t.Errorf("a unit member made keeper: %v", err)
	}
	audit, _ := mustRun(t, env, "audit", "--action", "clue.keeper")
	if !strings.Contains(audit, "clue:"+number) || !strings.Contains(audit, "person="+official) {
		t.Errorf("audit: %s", audit)
	}
}
