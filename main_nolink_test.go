package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/internal/sqltest"
	"xuncha/internal/syncbuf"
	"xuncha/store"
	"xuncha/store/storetest"
)

// TestNoLinkReportJoinsNoChat files anonymous reports that keep no link to their chat, through
// the web chat over HTTP and through the fake Telegram Bot API, among other chats' activity (a
// resident asking for help, subscribing and mistyping a query code in the same seconds, a
// reporter who keeps the link, an official reading the notices). Then, as someone holding a
// copy of the database file and the key, it tries every join that named the reporter's chat
// before: a time on a chat's rows equal or close to the report's, inbox ids whose prefix is a
// hash of the chat id, messages whose payload holds the query code or the text, rows next to
// the officials' notices of the report, audit rows, the bytes of erased rows in the file and
// its write-ahead log, and the log lines at the report's second. Right after the reports the
// chat-side times and inbox ids must already tell nothing; once the delivery records are two
// days old and the nightly purge has run, nothing at all.
func TestNoLinkReportJoinsNoChat(t *testing.T) {
	fake, tg := fakeTelegram(t, "987654:NoLink-secret-token")
	dbPath, env := testDB(t, tg...)
	dir := filepath.Dir(dbPath)
	invCode := inviteCode(t, env, "--role", "official", "--township", "新站镇")
	logs := &syncbuf.Buffer{}
	srv := startServer(t, env, logs)

	official := bindWeb(t, srv.url, "official", invCode, "巡察工作人员")
	bystander := newWebClient(t, srv.url, "bystander")
	bystander.do("/help", "")

	// reporters maps a report's description to the external id of the chat that filed it.
	reporters := map[string]string{}
	webReport := func(c *webClient, desc string, keepLink bool) {
		t.Helper()
		msgs := c.do("/report", "")
		msgs = c.do("", button(t, msgs, "作风问题"))
		bystander.do("/help", "") // another chat busy in the same seconds
		msgs = c.do("", button(t, msgs, "新站镇"))
		msgs = c.do("", button(t, msgs, "向阳村"))
		msgs = c.do("乡农经站站长", "")
		msgs = c.do(desc, "")
		msgs = c.do("", "done")
		msgs = c.do("", button(t, msgs, "匿名举报"))
		if keepLink {
			msgs = c.do("", button(t, msgs, "保留（推荐）"))
		} else {
			msgs = c.do("", button(t, msgs, "不保留"))
		}
		msgs = c.do("", button(t, msgs, "确认提交"))
		if codePattern.FindString(texts(msgs)) == "" {
			t.Fatalf("no query code:\n%s", texts(msgs))
		}
		c.read()                                       // the page polls again at once, which acknowledges what it showed
		bystander.do("/query 1111 2222 3333 4444", "") // a failed code right after
		if !keepLink {
			id, _, _ := strings.Cut(c.chatID(), ".")
			reporters[desc] = id
		}
	}

	updates := &tgUpdates{t: t, fake: fake, id: 5000}
	say, press := updates.say, updates.press
	tgReport := func(chat int64, desc string) {
		t.Helper()
		m := say(chat, "/report", "请选择问题类别")
		m = press(m, "作风问题", "哪个乡镇")
		say(chat+1, "/help", "/report") // another Telegram chat in the same seconds
		m = press(m, "新站镇", "哪个村")
		m = press(m, "向阳村", "涉及哪个人")
		say(chat, "村会计", "请描述发生了什么")
		files := say(chat, desc, "如有照片")
		m = press(files, "完成", "举报方式")
		m = press(m, "匿名举报", "是否允许")
		m = press(m, "不保留", "请核对")
		m = press(m, "确认提交", "查询码")
		if codePattern.FindString(m.Text) == "" {
			t.Fatalf("no query code in %q", m.Text)
		}
		say(chat+1, "/subscribe", "") // and right after
		reporters[desc] = strconv.FormatInt(chat, 10)
	}

	a, b, linked := newWebClient(t, srv.url, "a"), newWebClient(t, srv.url, "b"), newWebClient(t, srv.url, "linked")
	webReport(a, "去年秋收时乡农经站站长要求每户交500元才给办理土地确权证。", false)
	tgReport(7770001, "今年3月村会计把低保金打到自己亲戚的账户上，至少三户。")
	webReport(linked, "去年夏天村里修路的钱只用了一半，另一半去向不明。", true)
	webReport(b, "今年5月乡农经站站长在验收时收了施工队两条烟。", false)
	tgReport(7770011, "去年10月村委会主任把集体土地租给自己弟弟，租金远低于市价。")
	official.read()
	srv.stop(t)

	attacker := &keyHolder{t: t}
	attacker.derive(testKey)

	// At once: no chat-side time, inbox id or log line points at a reporter. The delivery
	// records (inbox ids, delivered replies) still carry the step's second: they are the
	// 48-hour window the README names.
	stolen := stealCopy(t, dbPath, filepath.Join(dir, "stolen-now"))
	leaks := attacker.attack(stolen, reporters, false)
	leaks = append(leaks, logLeaks(t, logs.String(), stolen)...)
	for _, l := range leaks {
		t.Errorf("right after the reports: %s", l)
	}

	// What the delivery records held, to look for in the file's bytes once they are purged.
	erased := attacker.reporterRowBytes(stolen, reporters)
	if len(erased) == 0 {
		t.Fatal("no outbox or inbox rows of the reporters before the purge: the scan below would prove nothing")
	}

	// Two days later, the nightly purge (the same call as serve's job, with the default periods).
	db := storetest.Open(t, dbPath)
	db.Now = func() time.Time { return time.Now().Add(store.DeliveryRetention + time.Hour) }
	var rf retentionFlags
	rf.link, rf.contact, rf.draft = 180, 180, 30
	res, err := db.Purge(context.Background(), rf.retention(), "scheduler", false)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Inbox == 0 || res.Outbox == 0 {
		t.Errorf("the purge removed %d inbox ids and %d messages: nothing of the delivery window", res.Inbox, res.Outbox)
	}
	stolen = stealCopy(t, dbPath, filepath.Join(dir, "stolen-later"))
	for _, l := range attacker.attack(stolen, reporters, true) {
		t.Errorf("after the purge: %s", l)
	}
	raw := sqltest.FileBytes(t, stolen)
	for what, b := range erased {
		if bytes.Contains(raw, b) {
			t.Errorf("after the purge: the bytes of %s are still in the file or its WAL", what)
		}
	}
}

// stealCopy copies the database file and its WAL (if any) to dir, as a thief would.
func stealCopy(t *testing.T, path, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(path))
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// keyHolder is the attacker: the database and the key, and the published derivation of the
// sealing and index keys (store/seal.go), written out here as a thief would.
type keyHolder struct {
	t     *testing.T
	aead  cipher.AEAD
	index []byte
}

func (k *keyHolder) derive(hexKey string) {
	secret, _ := hex.DecodeString(hexKey)
	mac := func(key []byte, label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(mac(secret, "xuncha seal v1"))
	if err != nil {
		k.t.Fatal(err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		k.t.Fatal(err)
	}
	k.index = mac(secret, "xuncha index v1")
}

func (k *keyHolder) open(purpose string, sealed []byte) []byte {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil
	}
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(purpose))
	if err != nil {
		return nil
	}
	return plain
}

func (k *keyHolder) hash(purpose, value string) []byte {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// victim is a no-link report and the chat that filed it (the truth the attacker looks for).
type victim struct {
	report int64
	at     int64
	query  []byte
	desc   string
	chat   int64
	ext    string
}

func (k *keyHolder) victims(db *sql.DB, reporters map[string]string) (map[int64]string, []victim) {
	k.t.Helper()
	chats := map[int64]string{} // internal id → opened platform id
	rows := query(k.t, db, `SELECT id, chat_sealed FROM chats`)
	for rows.Next() {
		var id int64
		var sealed []byte
		scan(k.t, rows, &id, &sealed)
		chats[id] = string(k.open("chat", sealed))
	}
	var out []victim
	rows = query(k.t, db, `SELECT id, created_at, query_hash, description FROM reports WHERE reporter_sealed IS NULL AND anonymous = 1`)
	for rows.Next() {
		var v victim
		scan(k.t, rows, &v.report, &v.at, &v.query, &v.desc)
		v.ext = reporters[v.desc]
		for id, ext := range chats {
			if ext == v.ext {
				v.chat = id
			}
		}
		if v.ext == "" || v.chat == 0 {
			k.t.Fatalf("report %d (%q) has no known reporter chat", v.report, v.desc)
		}
		out = append(out, v)
	}
	if len(out) != len(reporters) {
		k.t.Fatalf("%d no-link reports in the database, %d filed", len(out), len(reporters))
	}
	return chats, out
}

// attack tries the joins and returns what named a reporter's chat. delivery: the delivery
// records' period is over (the purge ran), so their rows are attacked too.
func (k *keyHolder) attack(path string, reporters map[string]string, delivery bool) []string {
	k.t.Helper()
	db := openRO(k.t, path)
	defer db.Close()
	chats, victims := k.victims(db, reporters)
	var leaks []string

	// Every time on a row that belongs to a chat.
	times := map[int64][]int64{}
	collect := func(q string) {
		rows := query(k.t, db, q)
		for rows.Next() {
			var chat int64
			var at sql.NullInt64
			scan(k.t, rows, &chat, &at)
			if at.Valid && at.Int64 != 0 {
				times[chat] = append(times[chat], at.Int64)
			}
		}
	}
	for _, q := range []string{
		`SELECT id, created_at FROM chats`, `SELECT id, last_seen_at FROM chats`,
		`SELECT chat_id, updated_at FROM conversations`, `SELECT chat_id, created_at FROM subscriptions`,
	} {
		collect(q)
	}
	if delivery {
		for _, q := range []string{
			`SELECT chat_id, created_at FROM outbox`, `SELECT chat_id, sent_at FROM outbox`,
			`SELECT chat_id, next_attempt_at FROM outbox`, `SELECT chat_id, at FROM code_attempts`,
			`SELECT o.chat_id, i.processed_at FROM inbox i JOIN outbox o ON o.id = i.reply_outbox_id`,
			`SELECT c.id, w.last_message_at FROM wechat_chats w JOIN chats c ON c.chat_hash = w.chat_hash`,
			`SELECT c.id, w.updated_at FROM wechat_chats w JOIN chats c ON c.chat_hash = w.chat_hash`,
		} {
			collect(q)
		}
	}
	// Inbox ids that start with a hash of a chat's id name that chat; their times then do too.
	inbox := map[string]int64{}
	rows := query(k.t, db, `SELECT msg_id, IFNULL(processed_at, received_at) FROM inbox`)
	for rows.Next() {
		var id string
		var at int64
		scan(k.t, rows, &id, &at)
		inbox[id] = at
	}
	for chat, ext := range chats {
		sum := sha256.Sum256([]byte(ext))
		prefixes := []string{hex.EncodeToString(sum[:8]), hex.EncodeToString(k.hash("chat", "web\x00"+ext)[:8]), ext}
		for id, at := range inbox {
			for _, p := range prefixes {
				if len(p) >= 8 && strings.HasPrefix(id, p) {
					times[chat] = append(times[chat], at)
					for _, v := range victims {
						if v.chat == chat {
							leaks = append(leaks, fmt.Sprintf("inbox id %q begins with a hash of report %d's chat id", id, v.report))
						}
					}
				}
			}
		}
	}

	for _, v := range victims {
		// A second-precise time of the reporter's chat near the report's names it; a day is
		// shared by every chat active that day.
		nearest, best := []int64{}, int64(-1)
		for chat, ts := range times {
			for _, at := range ts {
				d := max(at-v.at, v.at-at)
				if at%86400 != 0 && d <= 600 && chat == v.chat {
					leaks = append(leaks, fmt.Sprintf("report %d at %d: its chat has the time %d", v.report, v.at, at))
				}
				switch {
				case best < 0 || d < best:
					nearest, best = []int64{chat}, d
				case d == best && !slices.Contains(nearest, chat):
					nearest = append(nearest, chat)
				}
			}
		}
		if len(nearest) == 1 && nearest[0] == v.chat {
			leaks = append(leaks, fmt.Sprintf("report %d: its chat alone has the time nearest to it (%d s)", v.report, best))
		}

		// Audit rows name people and objects, never a resident's chat.
		rows := query(k.t, db, `SELECT id, object || ' ' || detail FROM audit`)
		for rows.Next() {
			var id int64
			var text string
			scan(k.t, rows, &id, &text)
			if strings.Contains(text, v.ext) || strings.Contains(text, fmt.Sprintf("chat:%d", v.chat)) {
				leaks = append(leaks, fmt.Sprintf("report %d: audit row %d names its chat", v.report, id))
			}
		}

		if !delivery {
			continue
		}
		// Messages: a payload holding the query code or the text names its recipient, and so
		// does a row next to the officials' notices of the report.
		rows = query(k.t, db, `SELECT id, chat_id, payload, IFNULL(dedupe_key, '') FROM outbox ORDER BY id`)
		type msg struct {
			id, chat int64
			key      string
		}
		var msgs []msg
		for rows.Next() {
			var m msg
			var sealed []byte
			scan(k.t, rows, &m.id, &m.chat, &sealed, &m.key)
			msgs = append(msgs, m)
			var out struct{ Text string }
			_ = json.Unmarshal(k.open("outbox", sealed), &out)
			for _, code := range codePattern.FindAllString(out.Text, -1) {
				if bytes.Equal(k.hash("query", strings.ReplaceAll(code, " ", "")), v.query) && m.chat == v.chat {
					leaks = append(leaks, fmt.Sprintf("report %d: message %d to its chat holds its query code", v.report, m.id))
				}
			}
			if m.chat == v.chat && strings.Contains(out.Text, v.desc) {
				leaks = append(leaks, fmt.Sprintf("report %d: message %d to its chat holds its text", v.report, m.id))
			}
		}
		for i, m := range msgs {
			if !strings.HasPrefix(m.key, fmt.Sprintf("report:%d:", v.report)) {
				continue
			}
			for j := max(0, i-3); j < min(len(msgs), i+4); j++ {
				if msgs[j].chat == v.chat {
					leaks = append(leaks, fmt.Sprintf("report %d: message %d to its chat sits next to the notice %d", v.report, msgs[j].id, m.id))
				}
			}
		}

	}
	return leaks
}

// reporterRowBytes returns the stored bytes of the reporters' delivery records: their messages'
// sealed payloads.
func (k *keyHolder) reporterRowBytes(path string, reporters map[string]string) map[string][]byte {
	k.t.Helper()
	db := openRO(k.t, path)
	defer db.Close()
	_, victims := k.victims(db, reporters)
	out := map[string][]byte{}
	for _, v := range victims {
		rows := query(k.t, db, `SELECT id, payload FROM outbox WHERE chat_id = ?`, v.chat)
		for rows.Next() {
			var id int64
			var sealed []byte
			scan(k.t, rows, &id, &sealed)
			if len(sealed) > 0 { // a message marked sent has no body left to look for
				out[fmt.Sprintf("message %d to report %d's chat", id, v.report)] = sealed
			}
		}
	}
	return out
}

// logLeaks finds log lines that name a no-link report: at info, a line at the report's
// second next to a proxy's access log gives the reporter's address; with the report's number,
// it names the report.
func logLeaks(t *testing.T, logs, path string) []string {
	t.Helper()
	db := openRO(t, path)
	defer db.Close()
	var leaks []string
	rows := query(t, db, `SELECT r.id, IFNULL(c.number, '') FROM reports r LEFT JOIN clues c ON c.report_id = r.id
		WHERE r.reporter_sealed IS NULL AND r.anonymous = 1`)
	var ids []string
	for rows.Next() {
		var id int64
		var number string
		scan(t, rows, &id, &number)
		ids = append(ids, strconv.FormatInt(id, 10))
		if number != "" {
			ids = append(ids, number)
		}
	}
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		for k, val := range rec {
			if k == "time" || k == "level" {
				continue
			}
			s := fmt.Sprint(val)
			if k == "msg" && strings.Contains(s, "report") {
				leaks = append(leaks, fmt.Sprintf("log line %q is written per report", line))
			}
			if (k == "report" || k == "clue" || k == "number") && slices.Contains(ids, s) {
				leaks = append(leaks, fmt.Sprintf("log line %q names a no-link report", line))
			}
		}
	}
	return leaks
}

func query(t *testing.T, db *sql.DB, q string, args ...any) *sql.Rows {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(func() { rows.Close() })
	return rows
}

func scan(t *testing.T, rows *sql.Rows, dst ...any) {
	t.Helper()
	if err := rows.Scan(dst...); err != nil {
		t.Fatal(err)
	}
}
