package main

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/bot/wechattest"
	"xuncha/internal/syncbuf"
)

// TestPeopleRevokeEndToEnd runs the real program: an official bound in the web chat and an
// officer bound on Telegram are listed by `people list` (never with a chat id); the official is
// withdrawn with `people revoke` while serve runs, the officer by revoking the invitation they
// already used while serve is down. Each one's next message is answered as a resident's, and
// the staff messages queued for them before (a new report's notice, a new task) are never
// delivered. Every step is in the audit log.
func TestPeopleRevokeEndToEnd(t *testing.T) {
	fake, tg := fakeTelegram(t, "987654:people-e2e-token")
	fake.SetLimits(telegramLimits)
	dir := t.TempDir()
	env := testEnv(append([]string{"XUNCHA_DB", filepath.Join(dir, "x.db")}, tg...)...)

	for _, args := range [][]string{{"people", "--help"}, {"people", "list", "--help"}, {"people", "revoke", "--help"}} {
		var out, errb bytes.Buffer
		if err := run(t.Context(), append([]string{"xuncha"}, args...), env, nil, &out, &errb); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		wants := map[string][]string{
			"--help": {"people list", "people revoke"},
			"list":   {"people list", "--active", "XUNCHA_DB"},
			"revoke": {"people revoke", "--person", "--reason", "XUNCHA_DB"},
		}[args[1]]
		for _, want := range wants {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v lacks %q:\n%s", args, want, out.String())
			}
		}
	}
	if err := run(t.Context(), []string{"xuncha", "people", "revoke", "--person", "1"}, env, nil, &bytes.Buffer{}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "--reason") {
		t.Errorf("people revoke without a reason: %v", err)
	}

	mustRun(t, env, "places", "import", "samples/places.sample.csv")
	officialCode := inviteCode(t, env, "--role", "official", "--township", "新站镇", "--note", "王五 巡察办")
	officerCode := inviteCode(t, env, "--role", "officer", "--township", "天岗镇", "--village", "民主村", "--note", "赵七")
	srv := startServer(t, env, &syncbuf.Buffer{})

	official := bindWeb(t, srv.url, "official", officialCode, "绑定成功")
	updates := &tgUpdates{t: t, fake: fake, id: 7000}
	say := updates.say
	const officer = 5550777
	say(officer, "/start "+officerCode, "绑定成功")

	list, _ := mustRun(t, env, "people", "list")
	officialID := personID(t, list, "official")
	for _, want := range []string{"新站镇", "web", "王五 巡察办", "天岗镇 民主村", "telegram", "赵七", "active"} {
		if !strings.Contains(list, want) {
			t.Errorf("people list lacks %q:\n%s", want, list)
		}
	}
	for _, chatID := range []string{official.chatID(), strconv.Itoa(officer)} {
		if strings.Contains(list, chatID) {
			t.Errorf("people list shows the chat id %q:\n%s", chatID, list)
		}
	}

	// A resident's report queues a notice for the official, who has not read it yet.
	resident := newWebClient(t, srv.url, "resident")
	mustContain(t, webReport{}.file(t, resident), "查询码")
	db := filepath.Join(dir, "x.db")
	if n := countRows(t, db, `SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND person_id IS NOT NULL`); n == 0 {
		t.Fatal("no staff message pending for the official: the test would prove nothing")
	}

	// Withdrawn while serve runs: the notice is never delivered, the next message is a resident's.
	out2, _ := mustRun(t, env, "people", "revoke", "--person", officialID, "--reason", "调离巡察办")
	if !strings.Contains(out2, "withdrew the official role of person "+officialID) {
		t.Errorf("people revoke printed:\n%s", out2)
	}
	if got := official.read(); strings.Contains(texts(got), "新举报") {
		t.Errorf("the withdrawn official received the report's notice:\n%s", texts(got))
	}
	mustContain(t, official.do("/ledger", ""), "没有权限")
	if help := official.do("/help", ""); strings.Contains(texts(help), "/ledger") {
		t.Errorf("the withdrawn official is shown the ledger's commands:\n%s", texts(help))
	}

	// The officer: a task is queued for them while serve is down, then the invitation they used
	// is revoked. After the restart the task's notice never goes out; the delivery worker sends a
	// chat's messages in order, so it would have gone before the answer to /tasks.
	srv.stop(t)
	queueOfficerTask(t, env, db)
	revoked, _ := mustRun(t, env, "invite", "--revoke", officerCode, "--reason", "手机丢失")
	if !strings.Contains(revoked, "revoked") || !strings.Contains(revoked, "withdrew the officer role") ||
		!strings.Contains(revoked, "1 pending message(s) cancelled") {
		t.Errorf("invite --revoke of a used code printed:\n%s", revoked)
	}
	startServer(t, env, &syncbuf.Buffer{})
	say(officer, "/tasks", "仅限")
	if n := fake.CountText(officer, "核实民主村低保名单"); n != 0 {
		t.Errorf("the withdrawn officer was sent the task %d time(s)", n)
	}

	list, _ = mustRun(t, env, "people", "list")
	if strings.Count(list, "withdrawn ") != 2 {
		t.Errorf("people list does not show both as withdrawn:\n%s", list)
	}
	if active, _ := mustRun(t, env, "people", "list", "--active"); strings.Contains(active, "official") || strings.Contains(active, "officer") {
		t.Errorf("people list --active shows a withdrawn person:\n%s", active)
	}
	audit, _ := mustRun(t, env, "audit", "--limit", "200")
	for action, n := range map[string]int{"invitation.issued": 2, "invitation.bound": 2, "invitation.revoked": 1, "person.withdrawn": 2, "people.read": 3} {
		if got := strings.Count(audit, "\t"+action+"\t"); got != n {
			t.Errorf("audit log has %d %s rows, want %d:\n%s", got, action, n, audit)
		}
	}
	for _, reason := range []string{"调离巡察办", "手机丢失"} {
		if !strings.Contains(audit, reason) {
			t.Errorf("audit log lacks the reason %q", reason)
		}
	}
}

// personID reads the id of the first person of a role from `people list`.
func personID(t *testing.T, list, role string) string {
	t.Helper()
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == role {
			return f[0]
		}
	}
	t.Fatalf("no %s in people list:\n%s", role, list)
	return ""
}

// TestPeopleRevokeWeChat: an officer bound on the WeChat Official Account is withdrawn while
// a task's notice waits for them. After the restart the notice is never sent, and the number
// of 我的任务 in the numbered menu they were last shown is answered as a resident's.
func TestPeopleRevokeWeChat(t *testing.T) {
	fake, wx := fakeWeChat(t)
	db, env := testDB(t, wx...)
	code := inviteCode(t, env, "--role", "officer", "--township", "天岗镇", "--village", "民主村")

	srv := startServer(t, env, &syncbuf.Buffer{})
	cb := wechattest.Callback{Token: wxToken, AppID: wxAppID, AESKey: wxAESKey, Account: "gh_xuncha"}
	officer := &wxResident{t: t, cb: cb, url: srv.url + "wechat", fake: fake, openid: "oPeopleOfficer", msgID: 100}
	menu := officer.say("/bind "+code, "绑定成功")
	tasks := pick(t, menu, "我的任务")
	list, _ := mustRun(t, env, "people", "list")
	if !strings.Contains(list, "wechat") || strings.Contains(list, officer.openid) {
		t.Errorf("people list (channel wechat, never the openid):\n%s", list)
	}

	srv.stop(t)
	queueOfficerTask(t, env, db)
	mustRun(t, env, "people", "revoke", "--person", personID(t, list, "officer"), "--reason", "离任")
	srv = startServer(t, env, &syncbuf.Buffer{})
	officer.url = srv.url + "wechat"
	officer.say(tasks, "仅限")
	// Nothing is left to send, and nothing of the task was sent: a notice still queued would
	// have gone out (the officer's 48-hour window is open) before the queue emptied.
	waitFor(t, 10*time.Second, "an empty outbox", func() bool {
		return countRows(t, db, `SELECT COUNT(*) FROM outbox WHERE status = 'pending'`) == 0
	})
	for _, m := range fake.Sent(officer.openid) {
		if strings.Contains(m.Text, "核实民主村低保名单") {
			t.Errorf("the withdrawn officer was sent the task: %q", m.Text)
		}
	}
}

// queueOfficerTask gives the officers of 天岗镇 民主村 a task while serve is down, and checks that
// its notice is the one staff message it queues. The bind's answer may still be pending (WeChat
// took it in the callback's response, and the stop can come before the sender marks it sent):
// only what the task adds is counted.
func queueOfficerTask(t *testing.T, env func(string) string, db string) {
	t.Helper()
	staffPending := `SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND person_id IS NOT NULL`
	before := countRows(t, db, staffPending)
	mustRun(t, env, "task", "add", "--township", "天岗镇", "--village", "民主村", "--title", "核实民主村低保名单")
	if n := countRows(t, db, staffPending) - before; n != 1 {
		t.Fatalf("the task queued %d staff messages, want its notice", n)
	}
}
