package store

import (
	"errors"
	"testing"
	"time"
)

// TestDeskLink: a link works once, within its time, and only its keyed hash is stored.
func TestDeskLink(t *testing.T) {
	db, clk, pl := mustOpenPlaces(t)
	p, _ := mustPerson(t, db, "o1", RoleOfficial, pl.T1, 0)
	redeem := func(token string) (int64, string, error) {
		var (
			pid     int64
			session string
			rerr    error
		)
		mustUpdate(t, db, func(tx *Tx) error {
			pid, session, rerr = tx.RedeemDeskLink(token, 12*time.Hour)
			return nil
		})
		return pid, session, rerr
	}
	token := mustGet(t, db, func(tx *Tx) (string, error) { return tx.CreateDeskLink(p.ID, 10*time.Minute) })
	if n := mustCount(t, db, `SELECT COUNT(*) FROM desk_links WHERE token_hash = ?`, token); n != 0 {
		t.Error("the link token is stored in clear")
	}
	pid, session, err := redeem(token)
	if err != nil || pid != p.ID || session == "" {
		t.Fatalf("redeem: %d %q %v", pid, session, err)
	}
	if _, _, err := redeem(token); !errors.Is(err, ErrDeskLinkUsed) {
		t.Errorf("replayed link: %v, want ErrDeskLinkUsed", err)
	}
	if _, _, err := redeem("forged" + token); !errors.Is(err, ErrDeskLinkInvalid) {
		t.Errorf("forged link: %v, want ErrDeskLinkInvalid", err)
	}
	late, _ := db.CreateDeskLink(t.Context(), p.ID, 10*time.Minute)
	clk.advance(10 * time.Minute)
	if _, _, err := redeem(late); !errors.Is(err, ErrDeskLinkExpired) {
		t.Errorf("link after 10 minutes: %v, want ErrDeskLinkExpired", err)
	}
}

// TestDeskSession: a session ends when idle too long, at its absolute lifetime, and at sign-out.
func TestDeskSession(t *testing.T) {
	db, clk, pl := mustOpenPlaces(t)
	p, _ := mustPerson(t, db, "o1", RoleOfficial, pl.T1, 0)
	open := func() string {
		token, err := db.CreateDeskLink(t.Context(), p.ID, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var session string
		mustUpdate(t, db, func(tx *Tx) (err error) {
			_, session, err = tx.RedeemDeskLink(token, 2*time.Hour)
			return err
		})
		return session
	}
	touch := func(session string) error {
		var terr error
		mustUpdate(t, db, func(tx *Tx) error {
			var pid int64
			pid, terr = tx.TouchDeskSession(session, 30*time.Minute)
			if terr == nil && pid != p.ID {
				t.Errorf("session of person %d, want %d", pid, p.ID)
			}
			return nil
		})
		return terr
	}
	s := open()
	for range 4 { // used every 29 minutes: stays open up to its lifetime
		clk.advance(29 * time.Minute)
		if err := touch(s); err != nil {
			t.Fatalf("active session refused: %v", err)
		}
	}
	clk.advance(29 * time.Minute) // 2h25m after sign-in: past the 2h lifetime
	if err := touch(s); !errors.Is(err, ErrDeskSession) {
		t.Errorf("session past its lifetime: %v", err)
	}
	s = open()
	clk.advance(30 * time.Minute)
	if err := touch(s); !errors.Is(err, ErrDeskSession) {
		t.Errorf("idle session: %v", err)
	}
	s = open()
	mustUpdate(t, db, func(tx *Tx) error { return tx.EndDeskSession(s) })
	if err := touch(s); !errors.Is(err, ErrDeskSession) {
		t.Errorf("signed-out session: %v", err)
	}
}

// TestLedgerPage: the desk's filters, Chinese search, order and paging; files only of their
// own report.
func TestLedgerPage(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	mustInspectionClues(t, db,
		&Clue{Subject: "东风村村委会", Summary: "惠农补贴被截留"},
		&Clue{Subject: "胜利村", Summary: "路灯坏了三天没人修"},
		&Clue{Subject: "红旗村 100%_合作社", Summary: "账目不公开"})
	page := func(f ClueFilter, order string, desc bool, offset, limit int) ([]string, int) {
		var subjects []string
		var total int
		mustUpdate(t, db, func(tx *Tx) error {
			clues, n, err := tx.LedgerPage(f, order, desc, offset, limit)
			for _, c := range clues {
				subjects = append(subjects, c.Subject)
			}
			total = n
			return err
		})
		return subjects, total
	}
	if got, n := page(ClueFilter{Search: "路灯"}, "", false, 0, 10); n != 1 || len(got) != 1 || got[0] != "胜利村" {
		t.Errorf("two-character Chinese search: %v (%d)", got, n)
	}
	if got, n := page(ClueFilter{Search: "100%_"}, "", false, 0, 10); n != 1 || len(got) != 1 {
		t.Errorf("search with LIKE wildcards typed: %v (%d)", got, n)
	}
	if _, n := page(ClueFilter{Search: "%"}, "", false, 0, 10); n != 1 {
		t.Errorf("a typed %% is a character: %d matches, want 1", n)
	}
	got, n := page(ClueFilter{}, "received", true, 1, 1)
	if n != 3 || len(got) != 1 || got[0] != "胜利村" {
		t.Errorf("second page of one, newest first: %v (%d)", got, n)
	}
	if _, n := page(ClueFilter{Nothing: true}, "", false, 0, 10); n != 0 {
		t.Errorf("Nothing matched %d clues", n)
	}

	// A file id of another report is not found through this one.
	var shaA, shaB string
	mustUpdate(t, db, func(tx *Tx) (err error) {
		if shaA, err = tx.PutBlob([]byte("photo A"), "image/png"); err != nil {
			return err
		}
		shaB, err = tx.PutBlob([]byte("file B"), "application/pdf")
		return err
	})
	mustReport(t, db, &Report{Category: "x", Description: "a", Lang: "zh"}, []Attachment{{SHA256: shaA, Name: "a.png"}})
	mustReport(t, db, &Report{Category: "x", Description: "b", Lang: "zh"}, []Attachment{{SHA256: shaB, Name: "b.pdf"}})
	mustUpdate(t, db, func(tx *Tx) error {
		var a, b int64
		if err := tx.queryRow(`SELECT MIN(report_id), MAX(report_id) FROM report_attachments`).Scan(&a, &b); err != nil {
			return err
		}
		files, err := tx.ReportFiles(b)
		if err != nil || len(files) != 1 || files[0].MIME != "application/pdf" || files[0].Name != "b.pdf" {
			t.Fatalf("files of report B: %+v %v", files, err)
		}
		if _, _, err := tx.ReportFileData(a, files[0].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("report B's file through report A: %v, want ErrNotFound", err)
		}
		f, data, err := tx.ReportFileData(b, files[0].ID)
		if err != nil || string(data) != "file B" || f.Name != "b.pdf" {
			t.Errorf("report B's file: %+v %q %v", f, data, err)
		}
		return nil
	})
}

// TestPurgeDeskTokens: the nightly purge deletes the desk's links and sessions that can no
// longer be used (two days after they expired or were signed out) and keeps a live session.
func TestPurgeDeskTokens(t *testing.T) {
	db, clk, pl := mustOpenPlaces(t)
	p, _ := mustPerson(t, db, "o1", RoleOfficial, pl.T1, 0)
	var ended, live string
	mustUpdate(t, db, func(tx *Tx) error {
		for _, s := range []*string{&ended, &live} {
			token, err := tx.CreateDeskLink(p.ID, 10*time.Minute)
			if err != nil {
				return err
			}
			if _, *s, err = tx.RedeemDeskLink(token, 30*24*time.Hour); err != nil {
				return err
			}
		}
		if _, err := tx.CreateDeskLink(p.ID, 10*time.Minute); err != nil { // never used
			return err
		}
		return tx.EndDeskSession(ended)
	})
	clk.advance(DeliveryRetention + time.Hour)
	if _, err := db.Purge(t.Context(), Retention{}, "cli", false); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM desk_links`); n != 0 {
		t.Errorf("%d expired links kept", n)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM desk_sessions`); n != 1 {
		t.Errorf("%d sessions kept, want the live one", n)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		if _, err := tx.TouchDeskSession(live, 365*24*time.Hour); err != nil {
			t.Errorf("the live session after the purge: %v", err)
		}
		return nil
	})
}
