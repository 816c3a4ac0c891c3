package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xuncha/internal/syncbuf"
)

// TestEndToEndReport runs the real program: a resident reports in Chinese through the web chat,
// the server is stopped mid-conversation and restarted, the conversation continues at the same
// step, and the query code works from another chat without revealing the reporter.
func TestEndToEndReport(t *testing.T) {
	_, env := testDB(t)
	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)

	resident := newWebClient(t, srv.url, "resident")
	mustContain(t, resident.do("/start", ""), "巡察监督举报服务")
	msgs := resident.do("", "menu:report")
	mustContain(t, msgs, "请选择问题类别")
	msgs = resident.do("", button(t, msgs, "侵害群众利益"))
	msgs = resident.do("", button(t, msgs, "新站镇"))
	msgs = resident.do("", button(t, msgs, "东风村"))
	mustContain(t, msgs, "涉及哪个人或哪个单位")
	msgs = resident.do("东风村村委会会计", "")
	mustContain(t, msgs, "请描述发生了什么")

	// The process stops here (as on SIGTERM) and starts again on the same database.
	srv.stop(t)
	srv = startServer(t, env, logs)
	resident.base = srv.url

	msgs = resident.do("2024年3月村里发放的惠农补贴被会计截留，每户少发200元，涉及三十多户。", "")
	mustContain(t, msgs, "证据")
	msgs = resident.do("", "done")
	msgs = resident.do("", button(t, msgs, "匿名举报"))
	msgs = resident.do("", button(t, msgs, "保留"))
	mustContain(t, msgs, "惠农补贴被会计截留")
	mustContain(t, msgs, "诬告")
	msgs = resident.do("", button(t, msgs, "确认提交"))
	code := codePattern.FindString(texts(msgs))
	if code == "" {
		t.Fatalf("no query code in:\n%s", texts(msgs))
	}

	other := newWebClient(t, srv.url, "other")
	msgs = other.do(strings.ReplaceAll(code, " ", ""), "")
	mustContain(t, msgs, "已登记")
	mustContain(t, msgs, "举报已登记")
	for _, secret := range []string{resident.chatID(), "东风村村委会会计", "惠农补贴"} {
		if strings.Contains(texts(msgs), secret) {
			t.Errorf("query answer shows %q:\n%s", secret, texts(msgs))
		}
	}
	// The same code with spaces, and a wrong code.
	mustContain(t, other.do("/query "+code, ""), "已登记")
	mustContain(t, other.do("/query 1111 2222 3333 4444", ""), "没有找到")
}

// TestAnonymousReporterNeverInClear checks DOMAIN.md's first rule: an anonymous reporter's chat
// id appears nowhere in clear — not in the database files, not in the logs, not in anything an
// official receives or can run.
func TestAnonymousReporterNeverInClear(t *testing.T) {
	dbPath, env := testDB(t, "XUNCHA_LOG_LEVEL", "debug")
	dir := filepath.Dir(dbPath)
	inviteOut, _ := mustRun(t, env, "invite", "--role", "official", "--township", "新站镇")
	invCode := invitePattern.FindStringSubmatch(inviteOut)
	if invCode == nil {
		t.Fatalf("no code in invite output: %s", inviteOut)
	}
	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)

	official := bindWeb(t, srv.url, "official", invCode[1], "巡察工作人员")

	resident := newWebClient(t, srv.url, "resident")
	queryCode(t, webReport{}.file(t, resident))
	notice := official.read()
	mustContain(t, notice, "新举报")
	mustContain(t, notice, "匿名举报")

	backupPath := filepath.Join(dir, "backup.db")
	backupOut, _ := mustRun(t, env, "backup", backupPath)
	srv.stop(t)

	chatID := resident.chatID()
	secrets := []string{chatID, chatID[:16], chatID[len(chatID)-16:]}
	places := map[string][]byte{
		"logs":            []byte(logs.String()),
		"official's chat": []byte(texts(notice)),
		"invite output":   []byte(inviteOut),
		"backup output":   []byte(backupOut),
	}
	for _, f := range []string{dbPath, dbPath + "-wal", dbPath + "-shm", backupPath} {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		places[filepath.Base(f)] = b
	}
	if len(places["x.db"]) == 0 || len(places["backup.db"]) == 0 {
		t.Fatal("database or backup file is empty: the search below would prove nothing")
	}
	for where, data := range places {
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("the reporter's chat id (or part of it) %q is in clear in %s", s, where)
			}
		}
	}
	// The search must be able to fail: the description, which is not secret, is found in clear.
	if !bytes.Contains(places["x.db"], []byte("土地确权证")) {
		t.Error("the report text is not in the database: the search looked in the wrong place")
	}
}

// TestCommands covers the CLI's help (on stdout; TestHelp walks every command), config errors and invitation revocation.
func TestCommands(t *testing.T) {
	dir := t.TempDir()
	env := testEnv("XUNCHA_DB", filepath.Join(dir, "x.db"))
	for _, cmd := range [][]string{{"serve", "--help"}, {"invite", "--help"}, {"backup", "--help"}, {"places", "import", "--help"}, {"task", "add", "--help"}} {
		var out, errb bytes.Buffer
		if err := run(t.Context(), append([]string{"xuncha"}, cmd...), env, nil, &out, &errb); err != nil {
			t.Errorf("%v: %v", cmd, err)
		}
		if !strings.Contains(out.String(), "XUNCHA_DB") {
			t.Errorf("%v --help does not name the environment variables:\n%s", cmd, out.String())
		}
	}
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"xuncha", "serve"}, testEnv("XUNCHA_TZ", "Mars/Olympus"), nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "XUNCHA_TZ") {
		t.Errorf("bad time zone: error %v does not name XUNCHA_TZ", err)
	}
	err = run(t.Context(), []string{"xuncha", "serve"}, func(k string) string {
		if k == "XUNCHA_SECRET_KEY" {
			return "short"
		}
		return ""
	}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "XUNCHA_SECRET_KEY") {
		t.Errorf("bad key: error %v does not name XUNCHA_SECRET_KEY", err)
	}
	if err := run(t.Context(), []string{"xuncha", "invite", "--role", "officer"}, env, nil, &out, &errb); err == nil {
		t.Error("an officer invitation without a township was issued")
	}
	if err := run(t.Context(), []string{"xuncha", "invite", "--role", "king"}, env, nil, &out, &errb); err == nil {
		t.Error("an invitation with an unknown role was issued")
	}

	// Flags may follow the arguments.
	other := filepath.Join(dir, "other.db")
	mustRun(t, env, "places", "import", "samples/places.sample.csv", "--db", other)
	if _, err := os.Stat(other); err != nil {
		t.Errorf("--db after the file was ignored: %v", err)
	}

	// Revocation: a revoked code cannot be bound.
	mustRun(t, env, "places", "import", "samples/places.sample.csv")
	code := inviteCode(t, env, "--role", "official")
	mustRun(t, env, "invite", "--revoke", code)
	srv := startServer(t, env, &syncbuf.Buffer{})
	c := bindWeb(t, srv.url, "c", code, "已被撤销")
	mustContain(t, c.do("/checkin", ""), "仅限")
}

// TestKeyFile checks that without XUNCHA_SECRET_KEY a key file is created with mode 0600 and
// reused, so that the sealed data stays readable across restarts.
func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	env := func(k string) string {
		if k == "XUNCHA_DB" {
			return db
		}
		return ""
	}
	_, errOut := mustRun(t, env, "places", "import", "samples/places.sample.csv")
	if !strings.Contains(errOut, "created a new secret key file") {
		t.Errorf("no warning about the new key file: %s", errOut)
	}
	fi, err := os.Stat(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	key1, _ := os.ReadFile(db + ".key")
	_, errOut = mustRun(t, env, "invite", "--role", "admin")
	key2, _ := os.ReadFile(db + ".key")
	if !bytes.Equal(key1, key2) || strings.Contains(errOut, "created a new secret key file") {
		t.Error("the key file was replaced on the second run")
	}
}
