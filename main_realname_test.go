package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xuncha/internal/syncbuf"
)

// TestRealNameDutiesEndToEnd runs a real-name report's duties after closing through the real
// program and the web chat: the official closes the clue and sends the result notice from its
// card; the reporter's chat gets it through the relay, objects from its button, and gets the
// office's answer. Then the 30-day follow-up falls due while the program is down: the pass at
// start asks the reporter, whose "yes" becomes a new clue linked to the old one, flagged to the
// office. Nothing the official reads names the reporter's chat.
func TestRealNameDutiesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "x.db")
	env := testEnv("XUNCHA_DB", dbPath)
	mustRun(t, env, "places", "import", "samples/places.sample.csv")
	offCode := inviteCode(t, env, "--role", "official", "--township", "新站镇")
	srv := startServer(t, env, &syncbuf.Buffer{})

	official := bindWeb(t, srv.url, "official", offCode, "巡察工作人员")
	resident := newWebClient(t, srv.url, "resident")
	lgReport(t, resident, "东风村村委会会计", "东风村会计截留惠农补贴，2024年3月每户少发200元，涉及三十多户。", "赵六", "13800000001")
	number := lgCluePattern.FindString(texts(official.read()))
	if number == "" {
		t.Fatal("no clue number in the official's notice")
	}

	// Closed: the result notice is owed, and sent from the card.
	msgs := official.do("/clue "+number, "")
	msgs = official.do("", button(t, msgs, "办结销号"))
	msgs = official.do("", button(t, msgs, "确认办结"))
	mustContain(t, msgs, "15 个工作日内向举报人告知办理结果")
	msgs = official.do("/clue "+number, "")
	mustContain(t, msgs, "结果告知：应于")
	official.do("", button(t, msgs, "发送结果告知"))
	mustContain(t, official.do("经核查，反映问题属实，已责令退还截留的补贴并给予相关人员党内警告处分。", ""), "已转达举报人")
	got := resident.read()
	mustContain(t, got, "【结果告知】")
	mustContain(t, got, "已责令退还")

	// The reporter objects from the notice's button; the office answers from the card.
	resident.do("", button(t, got, "提出异议"))
	mustContain(t, resident.do("补贴至今只退还了一半，请继续督促。", ""), "您的异议已记录")
	got = official.read()
	mustContain(t, got, "【举报人异议】线索 "+number)
	msgs = official.do("", button(t, got, "打开 "+number))
	official.do("", button(t, msgs, "答复异议 1"))
	mustContain(t, official.do("已责成镇纪委督促在本月底前全部退还。", ""), "已转达")
	mustContain(t, resident.read(), "【异议答复】")
	srv.stop(t)

	// The 30-day follow-up fell due while the program was down.
	raw, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE realname_duties SET next_at = 1, due_at = 1 WHERE kind = 'followup' AND seq = 30`); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, env, &syncbuf.Buffer{})
	resident.base, official.base = srv.url, srv.url
	var asked []webMsg
	for range 200 {
		if asked = resident.read(); len(asked) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mustContain(t, asked, "【回访】")
	msgs = resident.do("", button(t, asked, "有，我要反映"))
	mustContain(t, msgs, "已作为新线索登记")
	got = official.read()
	mustContain(t, got, "【疑似打击报复】线索 "+number)
	newNumber := ""
	for _, n := range lgCluePattern.FindAllString(texts(got), -1) {
		if n != number {
			newNumber = n
		}
	}
	msgs = official.do("/clue "+newNumber, "")
	mustContain(t, msgs, "打击报复线索，源自回访："+number)
	mustContain(t, msgs, "重复")
	mustContain(t, official.do("/clue "+number, ""), "90天")
	for _, m := range append(official.read(), msgs...) {
		if strings.Contains(m.Text, resident.chatID()) {
			t.Errorf("the official's chat names the reporter's: %s", m.Text)
		}
	}
	audit, _ := mustRun(t, env, "audit", "--action", "clue.followup")
	mustContain2(t, audit, "day=30 answer=yes")
}

func mustContain2(t *testing.T, s, want string) {
	t.Helper()
	if !strings.Contains(s, want) {
		t.Fatalf("%q lacks %q", s, want)
	}
}
