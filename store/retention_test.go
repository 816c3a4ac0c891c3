package store

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"xuncha/internal/sqltest"
)

// namedReport files a real-name report with a reporter link and a clue for it, moves the report
// through the milestones a resident is told (each rewrites the row, leaving the older copy in
// the page's free space), and returns the report and clue ids.
func namedReport(tb testing.TB, db *DB, chat int64, contact Contact, desc string) (reportID int64, clue *Clue) {
	tb.Helper()
	mustUpdate(tb, db, func(tx *Tx) error {
		r := &Report{Category: "other", Description: desc, ReporterChat: chat, Contact: &contact, Lang: "zh"}
		if _, err := tx.CreateReport(r, nil); err != nil {
			return err
		}
		reportID = r.ID
		clue = &Clue{Source: ClueFromReport, ReportID: r.ID, Summary: "summary"}
		_, err := tx.CreateClue(clue)
		return err
	})
	for _, st := range []string{StatusAccepted, StatusTransferred, StatusConcluded} {
		mustUpdate(tb, db, func(tx *Tx) error {
			if _, err := tx.SetReportStatus(reportID, st); err != nil {
				return err
			}
			_, err := tx.EnqueueToReporter(reportID, OutMessage{Text: "milestone " + st}, "report:"+itoa(reportID)+":ms:"+st)
			return err
		})
	}
	return reportID, clue
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func closeClue(tb testing.TB, db *DB, id int64) {
	tb.Helper()
	mustUpdate(tb, db, func(tx *Tx) error {
		st, at := ClueClosed, tx.Now()
		return tx.UpdateClue(id, ClueUpdate{Status: &st, ClosedAt: &at})
	})
}

// TestPurgeErasesFromFile proves that an erased contact and link are gone from the database
// file and its WAL, not only hidden: the exact sealed bytes read from the table before the
// purge, and the clear name and phone, are found nowhere in the files afterwards.
func TestPurgeErasesFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db := mustOpenPath(t, path, testKey)
	clk := setClock(db, t0)
	ctx := context.Background()
	chat := mustChat(t, db, "telegram", "4242")
	contact := Contact{Name: "王秀英", Phone: "13912345678"}
	// A report still open before and after the one that closes: nothing of them may go, and
	// the closing one's row sits between others in its page, so its freed bytes are not simply
	// reused by the rewritten row.
	openID, _ := namedReport(t, db, chat, Contact{Name: "李建国", Phone: "13800001111"}, "未结线索")
	reportID, clue := namedReport(t, db, chat, contact, "惠农补贴被截留")
	namedReport(t, db, chat, Contact{Name: "张伟", Phone: "13700002222"}, "另一条未结线索")

	// Three drafts in a row; the middle one goes stale. A deleted row's bytes stay in the page's
	// free space unless secure_delete overwrites them (the same scan finds them with it off).
	var drafts []int64
	for _, c := range []string{"d1", "d2", "d3"} {
		id := mustChat(t, db, "web", c)
		drafts = append(drafts, id)
		mustUpdate(t, db, func(tx *Tx) error {
			return tx.SaveConversation(id, []byte(`{"flow":"report","contact":{"name":"`+contact.Name+`"}}`))
		})
	}
	var draftSealed []byte
	if err := db.db.QueryRowContext(ctx, `SELECT data FROM conversations WHERE chat_id = ?`, drafts[1]).Scan(&draftSealed); err != nil {
		t.Fatal(err)
	}

	var contactSealed, reporterSealed []byte
	if err := db.db.QueryRowContext(ctx, `SELECT contact_sealed, reporter_sealed FROM reports WHERE id = ?`, reportID).
		Scan(&contactSealed, &reporterSealed); err != nil || len(contactSealed) < 28 || len(reporterSealed) < 28 {
		t.Fatalf("sealed values: %v %d %d", err, len(contactSealed), len(reporterSealed))
	}
	// Checkpointed once before the clue closes, so that the sealed bytes are in the main file
	// too, not only in the WAL: the purge must scrub both.
	if _, err := db.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(sqltest.FileBytes(t, path), contactSealed) {
		t.Fatal("the sealed contact is not in the file before the purge: the scan proves nothing")
	}

	closeClue(t, db, clue.ID)
	// The milestones were delivered.
	if _, err := db.db.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = ?`, clk.now.Unix()); err != nil {
		t.Fatal(err)
	}
	ret := Retention{Link: 180 * 24 * time.Hour, Contact: 180 * 24 * time.Hour, Draft: 30 * 24 * time.Hour, Outbox: 365 * 24 * time.Hour}

	t.Run("NotYet", func(t *testing.T) {
		clk.advance(179 * 24 * time.Hour)
		res, err := db.Purge(ctx, ret, "test", true)
		if err != nil || len(res.LinkClues)+len(res.ContactClues) != 0 {
			t.Fatalf("purge before the period: %+v %v", res, err)
		}
	})

	clk.advance(2 * 24 * time.Hour)
	// The first and last drafts are still being written.
	for _, id := range []int64{drafts[0], drafts[2]} {
		mustUpdate(t, db, func(tx *Tx) error { return tx.SaveConversation(id, []byte(`{"flow":"report","step":"x"}`)) })
	}
	t.Run("DryRun", func(t *testing.T) {
		res, err := db.Purge(ctx, ret, "test", true)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.LinkClues) != 1 || res.LinkClues[0] != clue.Number || len(res.ContactClues) != 1 || res.Outbox != 3 {
			t.Errorf("dry run: %+v", res)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM reports WHERE contact_sealed IS NOT NULL`); n != 3 {
			t.Errorf("dry run erased something: %d contacts left", n)
		}
	})

	t.Run("Purge", func(t *testing.T) {
		res, err := db.Purge(ctx, ret, "test", false)
		if err != nil || res.CheckpointBusy {
			t.Fatalf("purge: %+v %v", res, err)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM reports WHERE id = ? AND contact_sealed IS NULL AND reporter_sealed IS NULL
			AND description = '惠农补贴被截留'`, reportID); n != 1 {
			t.Errorf("the report text must stay and the link and contact go")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM reports WHERE id = ? AND contact_sealed IS NOT NULL AND reporter_sealed IS NOT NULL`, openID); n != 1 {
			t.Errorf("the open clue's report lost its link or contact")
		}
		if res.Drafts != 1 {
			t.Errorf("drafts dropped: %d, want 1", res.Drafts)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM clues WHERE id = ? AND status = 'closed'`, clue.ID); n != 1 {
			t.Errorf("the clue must stay in the ledger")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE dedupe_key LIKE ?`, "report:"+itoa(reportID)+":%"); n != 0 {
			t.Errorf("%d delivered messages still tie the report to the chat", n)
		}
		entries, err := db.AuditEntries(ctx, AuditFilter{Action: "retention.purge"})
		if err != nil || len(entries) != 1 || entries[0].Object != clue.Number || strings.Contains(entries[0].Detail, contact.Name) {
			t.Errorf("audit: %+v %v", entries, err)
		}
		if _, err := db.ReporterChat(ctx, reportID); err != ErrNotFound {
			t.Errorf("reporter chat after purge: %v", err)
		}
	})

	t.Run("GoneFromFile", func(t *testing.T) {
		b := sqltest.FileBytes(t, path)
		for name, secret := range map[string][]byte{
			"sealed contact": contactSealed, "sealed link": reporterSealed, "sealed draft": draftSealed,
			"name": []byte(contact.Name), "phone": []byte(contact.Phone),
		} {
			if i := bytes.Index(b, secret); i >= 0 {
				t.Errorf("%s still in the database files at byte %d", name, i)
			}
		}
		// The scan sees the other report's values, which stay: it reads what is there.
		var other []byte
		if err := db.db.QueryRowContext(ctx, `SELECT contact_sealed FROM reports WHERE id = ?`, openID).Scan(&other); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, other) {
			t.Errorf("the kept contact is not found in the files: the scan is blind")
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		res, err := db.Purge(ctx, ret, "test", false)
		if err != nil || len(res.LinkClues)+len(res.ContactClues)+res.Outbox+res.Blobs != 0 {
			t.Errorf("second purge: %+v %v", res, err)
		}
	})
}

func TestPurgeDraftsAndBlobs(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0)
	ctx := context.Background()
	old := mustChat(t, db, "web", "old")
	fresh := mustChat(t, db, "web", "fresh")
	var orphan, attached, inDraft, other string
	mustUpdate(t, db, func(tx *Tx) error {
		var err error
		// A table of a later migration that references files: found through its foreign key.
		if _, err := tx.exec(`CREATE TABLE later_files (id INTEGER PRIMARY KEY, file_sha TEXT REFERENCES blobs(sha256))`); err != nil {
			return err
		}
		if other, err = tx.PutBlob([]byte("later bytes"), "application/pdf"); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO later_files (file_sha) VALUES (?)`, other); err != nil {
			return err
		}
		if orphan, err = tx.PutBlob([]byte("orphan bytes"), "image/jpeg"); err != nil {
			return err
		}
		if attached, err = tx.PutBlob([]byte("attached bytes"), "image/jpeg"); err != nil {
			return err
		}
		if inDraft, err = tx.PutBlob([]byte("draft bytes"), "image/jpeg"); err != nil {
			return err
		}
		r := &Report{Category: "other", Description: "d", Anonymous: true}
		if _, err := tx.CreateReport(r, []Attachment{{SHA256: attached}}); err != nil {
			return err
		}
		return tx.SaveConversation(old, []byte(`{"flow":"report"}`))
	})
	clk.advance(40 * 24 * time.Hour)
	mustUpdate(t, db, func(tx *Tx) error {
		return tx.SaveConversation(fresh, []byte(`{"flow":"report","files":[{"sha256":"`+inDraft+`"}]}`))
	})
	res, err := db.Purge(ctx, Retention{Draft: 30 * 24 * time.Hour}, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Drafts != 1 || res.Blobs != 1 || res.BlobBytes != int64(len("orphan bytes")) {
		t.Errorf("purge: %+v", res)
	}
	for sha, want := range map[string]int{orphan: 0, attached: 1, inDraft: 1, other: 1} {
		if n := mustCount(t, db, `SELECT COUNT(*) FROM blobs WHERE sha256 = ?`, sha); n != want {
			t.Errorf("blob %s…: %d rows, want %d", sha[:8], n, want)
		}
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM conversations WHERE chat_id = ?`, fresh); n != 1 {
		t.Errorf("a recent draft was dropped")
	}
}

// TestPurgeOutbox: messages older than the outbox period go whether delivered or not (a web
// chat that never came back leaves its rows pending); the period defaults to the shorter of
// the link and contact periods.
func TestPurgeOutbox(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0)
	chat := mustChat(t, db, "web", "a")
	mustUpdate(t, db, func(tx *Tx) error {
		for _, key := range []string{"old-pending", "old-sent"} {
			if _, err := tx.Enqueue(chat, OutMessage{Text: "姓名：王秀英 电话：13912345678"}, key); err != nil {
				return err
			}
		}
		return nil
	})
	if _, err := db.db.Exec(`UPDATE outbox SET status = 'sent', sent_at = ? WHERE dedupe_key = 'old-sent'`, t0.Unix()); err != nil {
		t.Fatal(err)
	}
	clk.advance(40 * 24 * time.Hour)
	mustUpdate(t, db, func(tx *Tx) error {
		_, err := tx.Enqueue(chat, OutMessage{Text: "new"}, "new")
		return err
	})
	res, err := db.Purge(context.Background(), Retention{Link: 180 * 24 * time.Hour, Contact: 30 * 24 * time.Hour}, "test", false)
	if err != nil || res.Outbox != 2 {
		t.Fatalf("purge: %+v %v", res, err)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE dedupe_key = 'new'`); n != 1 {
		t.Errorf("a recent message went")
	}
}

// TestPurgeDeliveryRecords: 48 hours after the fact the records that tie a chat to the second
// it wrote go — processed inbox ids, delivered or given-up replies without a dedupe key (and a
// late WeChat reply's), a web chat's reply its browser never fetched, the WeChat window's
// times, failed-code records — while what is younger, still pending elsewhere, or the
// scheduler's and the ledger's keyed messages stay.
func TestPurgeDeliveryRecords(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0)
	ctx := context.Background()
	web := mustChat(t, db, "web", "browser")
	tg := mustChat(t, db, "telegram", "5151")
	mustUpdate(t, db, func(tx *Tx) error {
		_, err := tx.ClaimMessage("web", "old-step")
		return err
	})
	sent := mustEnqueue(t, db, tg, "您的查询码：1234 5678 9012 3456", "")
	dead := mustEnqueue(t, db, tg, "given up", "")
	late := mustEnqueue(t, db, tg, "late", "wechat:late:m1")
	keyed := mustEnqueue(t, db, tg, "announcement", "announce:1:chat:2")
	tgPending := mustEnqueue(t, db, tg, "still trying", "")
	webPending := mustEnqueue(t, db, web, "never fetched", "")
	mustUpdate(t, db, func(tx *Tx) error {
		if err := tx.RecordCodeFailure(web); err != nil {
			return err
		}
		return tx.TouchWeChat("openid-1", WeChatOpensMessage)
	})
	if err := db.MarkSent(ctx, sent, late, keyed); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkDead(ctx, dead, "blocked"); err != nil {
		t.Fatal(err)
	}
	clk.advance(DeliveryRetention - time.Hour)
	mustUpdate(t, db, func(tx *Tx) error {
		_, err := tx.ClaimMessage("web", "recent-step")
		return err
	})
	recent := mustEnqueue(t, db, web, "recent", "")
	if res, err := db.Purge(ctx, Retention{}, "cli", false); err != nil || res.Inbox != 0 || res.Outbox != 0 {
		t.Fatalf("before 48 hours: %+v %v, want nothing removed", res, err)
	}

	clk.advance(2 * time.Hour)
	res, err := db.Purge(ctx, Retention{}, "cli", false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Inbox != 1 || res.Outbox != 4 {
		t.Errorf("purge = %+v, want 1 inbox id and 4 messages (sent, dead, late, web pending)", res)
	}
	for _, id := range []int64{sent, dead, late, webPending} {
		if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ?`, id); n != 0 {
			t.Errorf("message %d is still there", id)
		}
	}
	for _, id := range []int64{keyed, tgPending, recent} {
		if n := mustCount(t, db, `SELECT COUNT(*) FROM outbox WHERE id = ?`, id); n != 1 {
			t.Errorf("message %d went: it is keyed, pending on a platform that pushes, or recent", id)
		}
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM inbox WHERE msg_id = 'recent-step'`); n != 1 {
		t.Error("a recent inbox id went: a retry within 48 hours would run twice")
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM code_attempts`); n != 0 {
		t.Errorf("%d failed-code records left", n)
	}
	w, err := db.WeChatWindowOf(ctx, "openid-1")
	if err != nil || !w.LastMessage.IsZero() {
		t.Errorf("WeChat window after the purge: %+v %v, want its time gone", w, err)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM wechat_chats WHERE updated_at % 86400 <> 0`); n != 0 {
		t.Error("a WeChat window row keeps a second-precise time")
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM audit WHERE action = 'retention.purge' AND detail LIKE '%inbox=1%'`); n != 1 {
		t.Error("the purge is not audit-logged with its inbox count")
	}
}

// TestChatTimesToTheDay: a chat's row, conversation and subscriptions hold days, not seconds,
// and a step later the same day leaves the chat's row as it was — the step that files a report
// must not stamp the reporter's chat with the report's second.
func TestChatTimesToTheDay(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0.Add(13*time.Hour+17*time.Minute+5*time.Second))
	chat := mustChat(t, db, "telegram", "777")
	mustUpdate(t, db, func(tx *Tx) error {
		if err := tx.SaveConversation(chat, []byte(`{"flow":"report"}`)); err != nil {
			return err
		}
		res, err := tx.exec(`INSERT INTO townships (name) VALUES ('新站镇')`)
		if err != nil {
			return err
		}
		township, _ := res.LastInsertId()
		return tx.Subscribe(chat, township, 0)
	})
	dayStart := t0.Truncate(24 * time.Hour).Unix()
	for _, q := range []string{`SELECT created_at FROM chats`, `SELECT last_seen_at FROM chats`,
		`SELECT updated_at FROM conversations`, `SELECT created_at FROM subscriptions`} {
		if got := mustCount(t, db, q); int64(got) != dayStart {
			t.Errorf("%s = %d, want the day %d", q, got, dayStart)
		}
	}
	clk.advance(time.Hour)
	var changed int64
	mustUpdate(t, db, func(tx *Tx) error {
		if _, err := tx.EnsureChat("telegram", "777", "zh", false); err != nil {
			return err
		}
		return tx.queryRow(`SELECT changes()`).Scan(&changed)
	})
	if changed != 0 {
		t.Errorf("a step the same day rewrote the chat's row (%d changes)", changed)
	}
	clk.advance(24 * time.Hour)
	mustChat(t, db, "telegram", "777")
	if got := mustCount(t, db, `SELECT last_seen_at FROM chats`); int64(got) != dayStart+86400 {
		t.Errorf("last_seen_at the next day = %d, want %d", got, dayStart+86400)
	}
}

// TestRekeyChat: the chat keeps its row under a new platform id; the old one finds nothing.
func TestRekeyChat(t *testing.T) {
	db := MustOpenDB(t)
	chat := mustChat(t, db, "web", "old-id")
	mustUpdate(t, db, func(tx *Tx) error { return tx.RekeyChat("web", "old-id", "new-id") })
	if id, err := db.FindChat(t.Context(), "web", "new-id"); err != nil || id != chat {
		t.Errorf("new id finds %d %v, want %d", id, err, chat)
	}
	if _, err := db.FindChat(t.Context(), "web", "old-id"); err != ErrNotFound {
		t.Errorf("old id: %v, want ErrNotFound", err)
	}
	if _, ext, err := db.ChatAddress(t.Context(), chat); err != nil || ext != "new-id" {
		t.Errorf("address %q %v, want new-id", ext, err)
	}
	err := db.Update(t.Context(), func(tx *Tx) error { return tx.RekeyChat("web", "nobody", "x") })
	if err == nil {
		t.Error("rekeying an unknown chat succeeded")
	}
}

// TestPurgeKeepsLinkForFollowUps: a real-name reporter's link outlives the link's period while
// a retaliation follow-up is still to be asked, or was asked less than FollowUpAnswerDays ago
// and not answered; once it is answered (or the answer window passed) the purge destroys it.
// Before, the link went 180 days after closing, the day the last follow-up falls due.
func TestPurgeKeepsLinkForFollowUps(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0)
	chat := mustChat(t, db, "telegram", "555")
	report, clue := namedReport(t, db, chat, Contact{Name: "赵六", Phone: "13800000001"}, "截留补贴")
	var duty int64
	mustUpdate(t, db, func(tx *Tx) error {
		now, closed := tx.Now(), ClueClosed
		if err := tx.UpdateClue(clue.ID, ClueUpdate{Status: &closed, ClosedAt: &now}); err != nil {
			return err
		}
		d := &Duty{ClueID: clue.ID, Kind: DutyFollowUp, Seq: 180, DueAt: now.AddDate(0, 0, 180), NextAt: now.AddDate(0, 0, 180)}
		_, err := tx.AddDuty(d)
		duty = d.ID
		return err
	})
	linked := func() bool {
		t.Helper()
		var ok bool
		mustUpdate(t, db, func(tx *Tx) (err error) { ok, err = tx.ReporterLinked(report); return err })
		return ok
	}
	r := Retention{Link: 180 * 24 * time.Hour}
	clk.now = t0.AddDate(0, 0, 181)
	if _, err := db.Purge(t.Context(), r, "test", false); err != nil {
		t.Fatal(err)
	}
	if !linked() {
		t.Fatal("the link went before the 180-day follow-up was answered")
	}
	clk.now = t0.AddDate(0, 0, 182)
	mustUpdate(t, db, func(tx *Tx) error { return tx.CompleteDuty(duty, 0, FollowUpNo) })
	if _, err := db.Purge(t.Context(), r, "test", false); err != nil {
		t.Fatal(err)
	}
	if linked() {
		t.Error("the link outlived the answered follow-up")
	}
}
