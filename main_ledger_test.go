package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"xuncha/handlers"

	"github.com/xuri/excelize/v2"

	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

var lgCluePattern = regexp.MustCompile(`JH-\d{4}-\d{4}`)

// lgReport files a report through the web chat (新站镇 东风村) and returns its query code.
// name and phone empty: anonymous with the chat link kept.
func lgReport(t *testing.T, c *webClient, subject, description, name, phone string) string {
	t.Helper()
	r := webReport{category: "侵害群众利益", village: "东风村", subject: subject, description: description, name: name, phone: phone}
	return queryCode(t, r.file(t, c))
}

// TestLedgerEndToEnd runs the whole life of a clue through the real program and the web chat:
// a resident reports anonymously; an official studies it, records the disposal and transfers it
// to a unit; the unit acknowledges and asks a question that the official relays to the
// anonymous reporter, whose answer comes back; the unit records a filed case; the official
// closes it. The resident hears of each milestone and of nothing else, and the query code shows
// the same.
func TestLedgerEndToEnd(t *testing.T) {
	_, env := testDB(t)
	offCode := inviteCode(t, env, "--role", "official", "--township", "新站镇")
	unitCode := inviteCode(t, env, "--role", "unit", "--unit", "市纪委监委第一纪检监察室")
	otherUnitCode := inviteCode(t, env, "--role", "unit", "--unit", "市委组织部")
	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)

	official := bindWeb(t, srv.url, "official", offCode, "巡察工作人员")
	unit := bindWeb(t, srv.url, "unit", unitCode, "承办单位")
	otherUnit := newWebClient(t, srv.url, "other-unit")
	otherUnit.do("/bind "+otherUnitCode, "")

	resident := newWebClient(t, srv.url, "resident")
	const secretDetail = "东风村会计截留惠农补贴，2024年3月每户少发200元，涉及三十多户。"
	code := lgReport(t, resident, "东风村村委会会计", secretDetail, "", "")

	// The official's notice carries the clue number and a button to open it.
	notice := official.read()
	mustContain(t, notice, "新举报")
	number := lgCluePattern.FindString(texts(notice))
	if number == "" {
		t.Fatalf("no clue number in the notice:\n%s", texts(notice))
	}
	msgs := official.do("", button(t, notice, "打开 "+number))
	mustContain(t, msgs, "线索 "+number)
	mustContain(t, msgs, "群众举报（匿名）")

	// Joint study (会商研判).
	msgs = official.do("", button(t, msgs, "会商研判"))
	mustContain(t, msgs, "参加人员")
	official.do("纪委副书记张某、巡察办李某、第一纪检监察室王某", "")
	const opinion = "问题具体，建议初步核实，移交第一纪检监察室"
	mustContain(t, official.do(opinion, ""), "已记录 "+number+" 的会商研判")
	// Everything pushed to the reporter's chat is kept, to check at the end that it said nothing
	// about the handling.
	var pushed []webMsg
	got := resident.read()
	pushed = append(pushed, got...)
	mustContain(t, got, "已受理")

	// Disposal and the four forms.
	msgs = official.do("/clue "+number, "")
	msgs = official.do("", button(t, msgs, "处置"))
	msgs = official.do("", button(t, msgs, "初步核实"))
	msgs = official.do("", button(t, msgs, "第二种形态"))
	mustContain(t, msgs, "初步核实")

	// Transfer to the unit, 15 working days.
	msgs = official.do("/clue "+number, "")
	msgs = official.do("", button(t, msgs, "移交"))
	msgs = official.do("", button(t, msgs, "第一纪检监察室"))
	msgs = official.do("", button(t, msgs, "15 个工作日"))
	mustContain(t, msgs, "已移交市纪委监委第一纪检监察室")
	got = resident.read()
	pushed = append(pushed, got...)
	mustContain(t, got, "已转有关单位办理")

	// The unit is notified, opens the clue and acknowledges it.
	got = unit.read()
	mustContain(t, got, "移交线索")
	msgs = unit.do("", button(t, got, "打开 "+number))
	mustContain(t, msgs, secretDetail)
	msgs = unit.do("", button(t, msgs, "确认收到"))
	mustContain(t, msgs, "已确认收到")
	mustContain(t, official.read(), "已签收")

	// Another unit may not open it.
	mustContain(t, otherUnit.do("/clue "+number, ""), "没有权限")

	// The unit's question goes through the official to the anonymous reporter and back.
	msgs = unit.do("/clue "+number, "")
	msgs = unit.do("", button(t, msgs, "向举报人提问"))
	const question = "请问您是否保存有当时的补贴发放名单？"
	mustContain(t, unit.do(question, ""), "由其转达举报人")
	got = official.read()
	mustContain(t, got, question)
	mustContain(t, official.do("", button(t, got, "转达举报人")), "问题已转达举报人")
	got = resident.read()
	pushed = append(pushed, got...)
	mustContain(t, got, question)
	mustContain(t, resident.do("", button(t, got, "回答")), "请输入您的回答")
	const answer = "有名单复印件，可以提供。"
	mustContain(t, resident.do(answer, ""), "已转给办理人员")
	mustContain(t, unit.read(), answer)
	mustContain(t, official.read(), answer)

	// The unit records the outcome: case filed, one disciplined, one organisationally handled.
	msgs = unit.do("/clue "+number, "")
	msgs = unit.do("", button(t, msgs, "报告结果"))
	mustContain(t, unit.do("1 1 1", ""), "已记录 "+number+" 的办理结果")
	mustContain(t, official.read(), "办理结果")

	// The official closes and strikes it off.
	msgs = official.do("/clue "+number, "")
	mustContain(t, msgs, "立案：是")
	msgs = official.do("", button(t, msgs, "办结销号"))
	mustContain(t, official.do("", button(t, msgs, "确认办结销号")), "已办结销号")
	got = resident.read()
	pushed = append(pushed, got...)
	mustContain(t, got, "已办结")
	if len(pushed) != 4 {
		t.Errorf("the reporter was sent %d messages, want 3 milestones and the question:\n%s", len(pushed), texts(pushed))
	}

	// What the resident was told, all together: the three milestones, the question, and nothing
	// about the handling.
	other := newWebClient(t, srv.url, "query")
	msgs = other.do(strings.ReplaceAll(code, " ", ""), "")
	for _, want := range []string{"举报状态：已办结", "举报已登记", "已受理", "已转有关单位办理", "已办结"} {
		mustContain(t, msgs, want)
	}
	for _, secret := range []string{"纪检监察室", "初步核实", "形态", "立案", "处分", opinion, "王某", number, question} {
		if strings.Contains(texts(msgs), secret) {
			t.Errorf("the resident's query shows %q:\n%s", secret, texts(msgs))
		}
		if secret != question && strings.Contains(texts(pushed), secret) {
			t.Errorf("the reporter's chat was told %q:\n%s", secret, texts(pushed))
		}
	}

	// Nothing official-facing holds the reporter's chat id.
	chatID := resident.chatID()
	for _, c := range []*webClient{official, unit} {
		if strings.Contains(texts(c.read()), chatID) {
			t.Errorf("%s saw the reporter's chat id", c.name)
		}
	}

	// The audit log has every read and change of the clue, and the refusal.
	out, _ := mustRun(t, env, "audit", "--limit", "500")
	for _, action := range []string{"clue.created", "clue.read", "clue.study", "clue.disposal", "clue.transfer", "clue.ack",
		"clue.ask", "clue.relay", "clue.answer", "clue.outcome", "clue.close", "ledger.refused"} {
		if !strings.Contains(out, "\t"+action+"\t") {
			t.Errorf("audit log lacks %s:\n%s", action, out)
		}
	}
	if strings.Contains(out, chatID) {
		t.Error("the audit log holds the reporter's chat id")
	}
	refusals, _ := mustRun(t, env, "audit", "--action", "ledger.refused")
	if !strings.Contains(refusals, "clue:"+number) || strings.Count(strings.TrimSpace(refusals), "\n") != 0 {
		t.Errorf("want exactly the one refusal on %s, got:\n%s", number, refusals)
	}
	stats, _ := mustRun(t, env, "stats")
	for _, want := range []string{"受理线索 1 件", "移交 1 件", "立案 1 件", "党纪政务处分 1 人", "组织处理 1 人", "初步核实 1", "第二种形态 1"} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats lack %q:\n%s", want, stats)
		}
	}
}

// TestLedgerExport exports the ledger as .xlsx and .csv after a real-name and an anonymous
// report and a clue the inspection found, opens the workbook with excelize, and searches both
// files for the reporters' chat ids, the name and the phone.
func TestLedgerExport(t *testing.T) {
	dbPath, env := testDB(t)
	dir := filepath.Dir(dbPath)
	srv := startServer(t, env, &syncbuf.Buffer{})
	named := newWebClient(t, srv.url, "named")
	const name, phone = "张三丰", "13912345678"
	lgReport(t, named, "东风村村委会主任李某", "2024年5月李某把村集体土地低价租给亲戚，租金每亩少收300元。", name, phone)
	anon := newWebClient(t, srv.url, "anon")
	lgReport(t, anon, "东风村 村委会主任 李某", "2024年6月村里修路的工程款去向不明，涉及二十多万元。", "", "")
	srv.stop(t)
	out, _ := mustRun(t, env, "clue", "add", "--subject", "新站镇农经站", "--summary", "巡察发现农经站账目不清", "--township", "新站镇")
	if !strings.Contains(out, "JH-") {
		t.Fatalf("clue add: %s", out)
	}

	xlsx, csvPath := exportFiles(t, env, dir)

	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatalf("open export: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("线索台账")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("want a header and 3 clue rows, got %d: %v", len(rows), rows)
	}
	if strings.Join(rows[0], ",") != strings.Join(handlers.LedgerHeaders, ",") {
		t.Errorf("headers %v", rows[0])
	}
	if rows[1][1] != "群众举报（实名）" || rows[2][1] != "群众举报（匿名）" || rows[3][1] != "巡察发现" {
		t.Errorf("sources: %q %q %q", rows[1][1], rows[2][1], rows[3][1])
	}
	if rows[1][4] != "新站镇" || rows[1][5] != "东风村" || rows[1][8] != "新登记" {
		t.Errorf("row 1: %v", rows[1])
	}
	// The anonymous report names the same subject: it is flagged as a repeat of the first.
	if got := rows[2][len(handlers.LedgerHeaders)-1]; got != rows[1][0] {
		t.Errorf("repeat column of row 2 = %q, want %q", got, rows[1][0])
	}
	events, err := f.GetRows("办理记录")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) < 4 || strings.Join(events[0], ",") != "线索编号,时间,事项,内容" {
		t.Errorf("timeline sheet: %v", events)
	}

	for _, file := range []string{xlsx, csvPath} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		if file == xlsx {
			text = strings.Join(lgAllCells(t, f), "\n")
		}
		if !strings.Contains(text, "低价租给亲戚") {
			t.Fatalf("%s lacks the report text: the scan would prove nothing", file)
		}
		for _, secret := range []string{name, phone, named.chatID(), anon.chatID()} {
			if strings.Contains(text, secret) || bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds %q", filepath.Base(file), secret)
			}
		}
	}
}

// lgAllCells returns every cell of every sheet: the .xlsx is a zip, so its bytes say little.
func lgAllCells(t *testing.T, f *excelize.File) []string {
	t.Helper()
	var out []string
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, r...)
		}
	}
	return out
}

// TestLedgerStatsCLI loads a round shaped like the source's (24 clues transferred while
// inspecting, 11 cases filed, 11 people disciplined, 12 organisationally handled) and reads
// it back with `xuncha stats --round`.
func TestLedgerStatsCLI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	env := testEnv("XUNCHA_DB", path)
	mustRun(t, env, "round", "add", "--name", "十五届市委第五轮巡察", "--from", "2024-04-08", "--to", "2024-05-17")
	db := storetest.Open(t, path)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	disciplined := []int{3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}      // per filed case: 11 people
	handled := []int{1, 0, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0} // 12 people
	for i := range 27 {
		at := time.Date(2024, 4, 9+i, 10, 0, 0, 0, loc)
		err := db.Update(t.Context(), func(tx *store.Tx) error {
			c := &store.Clue{Source: store.ClueFromInspection, Subject: fmt.Sprintf("对象%d", i), ReceivedAt: at}
			if _, err := tx.CreateClue(c); err != nil {
				return err
			}
			if i >= 24 { // studied and held, never transferred
				d := "hold"
				return tx.UpdateClue(c.ID, store.ClueUpdate{Disposal: &d})
			}
			unit, while, d, form := "市纪委监委第一纪检监察室", true, "verify", 1+i%4
			u := store.ClueUpdate{Unit: &unit, WhileInspecting: &while, Disposal: &d, Form: &form}
			if i < len(disciplined) {
				filed := true
				u.CaseFiled, u.Disciplined = &filed, &disciplined[i]
			}
			if i < len(handled) {
				u.OrgHandled = &handled[i]
			}
			return tx.UpdateClue(c.ID, u)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	out, _ := mustRun(t, env, "stats", "--round", "十五届市委第五轮巡察")
	for _, want := range []string{"受理线索 27 件", "移交 24 件（其中边巡边移 24 件）", "立案 11 件", "党纪政务处分 11 人", "组织处理 12 人",
		"初步核实 24", "暂存待查 3", "第一种形态 6"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lack %q:\n%s", want, out)
		}
	}
	out, _ = mustRun(t, env, "stats", "--from", "2024-05-01", "--to", "2024-05-31")
	if !strings.Contains(out, "受理线索 5 件") {
		t.Errorf("May only (clues of 1–5 May):\n%s", out)
	}
}
