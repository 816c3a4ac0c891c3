package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xuncha/internal/sqltest"
	"xuncha/store"
	"xuncha/store/storetest"
)

// TestPurgeCommand files a real-name report whose clue was closed 200 days ago, then runs
// `xuncha purge --dry-run` and `xuncha purge`: the dry run names the clue and changes nothing,
// the purge erases and audit-logs, and neither prints the reporter.
func TestPurgeCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "x.db")
	env := testEnv("XUNCHA_DB", dbPath)
	db := storetest.Open(t, dbPath)
	db.Now = func() time.Time { return time.Now().Add(-200 * 24 * time.Hour) }
	var number string
	var reportID int64
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		chat, err := tx.EnsureChat("web", "resident-chat", "zh", false)
		if err != nil {
			return err
		}
		r := &store.Report{Category: "other", Description: "惠农补贴被截留", ReporterChat: chat.ID,
			Contact: &store.Contact{Name: "王秀英", Phone: "13912345678"}}
		if _, err := tx.CreateReport(r, nil); err != nil {
			return err
		}
		reportID = r.ID
		c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		number = c.Number
		st, at := store.ClueClosed, tx.Now()
		return tx.UpdateClue(c.ID, store.ClueUpdate{Status: &st, ClosedAt: &at})
	})
	if err != nil {
		t.Fatal(err)
	}
	sealed := rowBytes(t, dbPath, fmt.Sprintf(`SELECT contact_sealed FROM reports WHERE id = %d`, reportID))
	db.Close()
	if len(sealed) < 28 || !bytes.Contains(sqltest.FileBytes(t, dbPath), sealed) {
		t.Fatalf("the sealed contact (%d bytes) is not in the file before the purge: the scan proves nothing", len(sealed))
	}

	out, _ := mustRun(t, env, "purge", "--dry-run")
	for _, want := range []string{"would remove", "reporter links of closed clues: 1 " + number, "real-name contacts of closed clues: 1 " + number} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run: want %q in:\n%s", want, out)
		}
	}
	// A longer period keeps everything.
	if out, _ := mustRun(t, env, "purge", "--dry-run", "--retain-link", "365", "--retain-contact", "365"); !strings.Contains(out, "links of closed clues: 0") {
		t.Errorf("dry run with 365 days:\n%s", out)
	}
	out, _ = mustRun(t, env, "purge")
	if !strings.Contains(out, "removed:") || !strings.Contains(out, number) {
		t.Errorf("purge:\n%s", out)
	}
	audit, _ := mustRun(t, env, "audit", "--action", "retention.purge")
	if !strings.Contains(audit, "retention.purge") || !strings.Contains(audit, number) {
		t.Errorf("audit log:\n%s", audit)
	}
	for _, s := range []string{out, audit} {
		if strings.Contains(s, "王秀英") || strings.Contains(s, "13912345678") || strings.Contains(s, "resident-chat") {
			t.Errorf("output names the reporter:\n%s", s)
		}
	}
	files := sqltest.FileBytes(t, dbPath)
	for _, secret := range [][]byte{sealed, []byte("王秀英"), []byte("13912345678")} {
		if bytes.Contains(files, secret) {
			t.Errorf("%q… still in the database files after the purge", secret[:6])
		}
	}
	if out, _ := mustRun(t, env, "purge", "--dry-run"); !strings.Contains(out, "links of closed clues: 0") {
		t.Errorf("after the purge:\n%s", out)
	}
	db = storetest.Open(t, dbPath)
	defer db.Close()
	if _, err := db.ReporterChat(context.Background(), reportID); err != store.ErrNotFound {
		t.Errorf("reporter link after purge: %v", err)
	}
	// The variable names follow the flags.
	var bad strings.Builder
	if err := run(t.Context(), []string{"xuncha", "purge", "--dry-run"}, testEnv("XUNCHA_DB", dbPath, "XUNCHA_RETAIN_LINK", "-1"),
		strings.NewReader(""), &bad, &bad); err == nil || !strings.Contains(err.Error(), "XUNCHA_RETAIN_LINK") {
		t.Errorf("negative period: %v", err)
	}
}
