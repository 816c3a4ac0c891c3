package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// mustLinkedReports files two anonymous reports from a web chat, linked (that kept the chat)
// and nolink (that did not), and returns the chat, another chat and the two reports.
func mustLinkedReports(tb testing.TB, db *DB) (chat, other int64, linked, nolink *Report) {
	tb.Helper()
	chat = mustChat(tb, db, "web", "reporter-browser")
	other = mustChat(tb, db, "web", "someone-else")
	linked = &Report{Category: "x", Description: "d", Anonymous: true, ReporterChat: chat}
	mustReport(tb, db, linked, nil)
	nolink = &Report{Category: "x", Description: "d", Anonymous: true}
	mustReport(tb, db, nolink, nil)
	return chat, other, linked, nolink
}

// mustReport stores r and returns its query code.
func mustReport(tb testing.TB, db *DB, r *Report, attachments []Attachment) string {
	tb.Helper()
	return mustGet(tb, db, func(tx *Tx) (string, error) { return tx.CreateReport(r, attachments) })
}

var queryCodeRE = regexp.MustCompile(`^[1-9][0-9]{15}$`)

func TestCreateReport(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db, _, pl := mustOpenPlaces(t)
		r := &Report{Category: "funds", TownshipID: pl.T1, VillageID: pl.V1, Subject: "村会计", Description: "subsidy withheld",
			WhenText: "last spring", Anonymous: true, Lang: "zh"}
		code := mustReport(t, db, r, nil)
		if !queryCodeRE.MatchString(code) {
			t.Fatalf("code = %q, want 16 digits", code)
		}
		if r.ID == 0 || r.Status != StatusReceived || r.Source != SourceResident || !r.CreatedAt.Equal(t0) {
			t.Fatalf("report after create = %+v", r)
		}
		mustUpdate(t, db, func(tx *Tx) error {
			got, err := tx.FindReportByCode(code)
			if err != nil {
				return err
			}
			want := *r
			want.ReporterChat, want.Contact = 0, nil
			if *got != want {
				t.Errorf("FindReportByCode = %+v\nwant %+v", got, want)
			}
			byID, err := tx.FindReport(r.ID)
			if err != nil {
				return err
			}
			if *byID != want {
				t.Errorf("FindReport = %+v", byID)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		code := mustReport(t, db, &Report{Category: "other", Description: "x"}, nil)
		other := "1000000000000000"
		if other == code {
			other = "1000000000000001"
		}
		mustUpdate(t, db, func(tx *Tx) error {
			for _, c := range []string{other, FormatQueryCode(code), code[:15], ""} {
				if _, err := tx.FindReportByCode(c); !errors.Is(err, ErrNotFound) {
					t.Errorf("FindReportByCode(%q) = %v, want ErrNotFound", c, err)
				}
			}
			if _, err := tx.FindReport(999); !errors.Is(err, ErrNotFound) {
				t.Errorf("FindReport(999) = %v, want ErrNotFound", err)
			}
			return nil
		})
	})

	t.Run("FormattedCode", func(t *testing.T) {
		db := MustOpenDB(t)
		r := &Report{Category: "other", Description: "x"}
		code := mustReport(t, db, r, nil)
		norm, ok := NormalizeQueryCode(FormatQueryCode(code))
		if !ok || norm != code {
			t.Fatalf("NormalizeQueryCode(FormatQueryCode(%q)) = %q, %v", code, norm, ok)
		}
		mustUpdate(t, db, func(tx *Tx) error {
			got, err := tx.FindReportByCode(norm)
			if err != nil || got.ID != r.ID {
				t.Errorf("FindReportByCode(normalized) = %+v, %v", got, err)
			}
			return nil
		})
	})

	t.Run("CodesDiffer", func(t *testing.T) {
		db := MustOpenDB(t)
		seen := map[string]bool{}
		for range 20 {
			code := mustReport(t, db, &Report{Category: "other", Description: "x"}, nil)
			if seen[code] {
				t.Fatalf("query code %s issued twice", code)
			}
			seen[code] = true
		}
	})
}

// TestReportSealed checks that nothing that could identify a reporter reaches the file in
// clear: the query code, the reporter's chat (platform id and internal id) and the contact.
func TestReportSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.db")
	db := mustOpenPath(t, path, testKey)
	// Give the reporter's chat an id long enough that its decimal text is unmistakable.
	if _, err := db.db.ExecContext(t.Context(), `INSERT INTO chats (id, platform, chat_hash, chat_sealed, created_at, last_seen_at)
		VALUES (918273645546371, 'test', x'00', x'00', 0, 0)`); err != nil {
		t.Fatal(err)
	}
	const external = "reporter-5550001234-secret"
	chat := mustChat(t, db, "telegram", external)
	if chat != 918273645546372 {
		t.Fatalf("chat id = %d, want 918273645546372", chat)
	}
	r := &Report{Category: "land", Description: "description-in-clear-4242", Anonymous: false, ReporterChat: chat,
		Contact: &Contact{Name: "Zhang-Sanfeng-Testname", Phone: "13912345678"}}
	code := mustReport(t, db, r, nil)

	mustUpdate(t, db, func(tx *Tx) error {
		if _, err := tx.FindReportByCode(code); err != nil {
			t.Errorf("FindReportByCode: %v", err)
		}
		return nil
	})
	var reporter, contact []byte
	if err := db.db.QueryRowContext(t.Context(), `SELECT reporter_sealed, contact_sealed FROM reports WHERE id = ?`, r.ID).
		Scan(&reporter, &contact); err != nil {
		t.Fatal(err)
	}
	if len(reporter) == 0 || bytes.Contains(reporter, []byte(strconv.FormatInt(chat, 10))) {
		t.Fatalf("reporter_sealed = %q", reporter)
	}
	if len(contact) == 0 || bytes.Contains(contact, []byte("13912345678")) {
		t.Fatalf("contact_sealed = %q", contact)
	}

	present := []string{"description-in-clear-4242"}
	absent := []string{code, FormatQueryCode(code), external, "918273645546372", "Zhang-Sanfeng-Testname", "13912345678"}
	assertFile(t, path, present, absent)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	assertFile(t, path, present, absent)
}

func TestReporterChat(t *testing.T) {
	db := MustOpenDB(t)
	chat := mustChat(t, db, "telegram", "reporter")
	linked := &Report{Category: "other", Description: "linked", ReporterChat: chat}
	mustReport(t, db, linked, nil)
	unlinked := &Report{Category: "other", Description: "code only"}
	mustReport(t, db, unlinked, nil)

	t.Run("OK", func(t *testing.T) {
		got, err := db.ReporterChat(t.Context(), linked.ID)
		if err != nil || got != chat {
			t.Fatalf("ReporterChat = %d, %v; want %d", got, err, chat)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if got, err := db.ReporterChat(t.Context(), unlinked.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ReporterChat(no link) = %d, %v; want ErrNotFound", got, err)
		}
		if _, err := db.ReporterChat(t.Context(), 999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ReporterChat(unknown report) = %v, want ErrNotFound", err)
		}
	})
	// A sealed value is bound to its column: the reporter link pasted into a chat row
	// does not open as a chat address.
	t.Run("ErrPurpose", func(t *testing.T) {
		if _, err := db.db.ExecContext(t.Context(), `UPDATE chats SET chat_sealed = (SELECT reporter_sealed FROM reports WHERE id = ?) WHERE id = ?`,
			linked.ID, chat); err != nil {
			t.Fatal(err)
		}
		if _, ext, err := db.ChatAddress(t.Context(), chat); err == nil {
			t.Fatalf("ChatAddress opened a value sealed for another column: %q", ext)
		}
	})
}

func TestReportEvents(t *testing.T) {
	db := MustOpenDB(t)
	r := &Report{Category: "other", Description: "x"}
	mustReport(t, db, r, nil)
	mustUpdate(t, db, func(tx *Tx) error {
		if _, err := tx.AddReportEvent(r.ID, "note", "internal note", false, nil); err != nil {
			return err
		}
		_, err := tx.AddReportEvent(r.ID, "reply", "we are on it", true, nil)
		return err
	})
	kinds := func(es []Event) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Kind)
		}
		return out
	}
	mustUpdate(t, db, func(tx *Tx) error {
		all, err := tx.ReportEvents(r.ID, false)
		if err != nil {
			return err
		}
		if got := kinds(all); len(got) != 3 || got[0] != "received" || got[1] != "note" || got[2] != "reply" {
			t.Errorf("all events = %v, want [received note reply]", got)
		}
		pub, err := tx.ReportEvents(r.ID, true)
		if err != nil {
			return err
		}
		if got := kinds(pub); len(got) != 2 || got[0] != "received" || got[1] != "reply" {
			t.Errorf("public events = %v, want [received reply]", got)
		}
		for _, e := range pub {
			if !e.Public {
				t.Errorf("public list holds a private event %+v", e)
			}
		}
		none, err := tx.ReportEvents(r.ID+1, false)
		if err != nil || len(none) != 0 {
			t.Errorf("events of another report = %v, %v", none, err)
		}
		return nil
	})
}

func TestPutBlob(t *testing.T) {
	db := MustOpenDB(t)
	data := []byte("\x89PNG fake image bytes")
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])

	t.Run("OK", func(t *testing.T) {
		var a, b, c string
		mustUpdate(t, db, func(tx *Tx) (err error) {
			if a, err = tx.PutBlob(data, "image/png"); err != nil {
				return err
			}
			if b, err = tx.PutBlob(append([]byte(nil), data...), "image/png"); err != nil {
				return err
			}
			c, err = tx.PutBlob([]byte("other"), "text/plain")
			return err
		})
		if a != want || b != want {
			t.Fatalf("PutBlob = %s, %s; want %s", a, b, want)
		}
		if c == want {
			t.Fatal("different bytes got the same digest")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM blobs WHERE sha256 = ?`, want); n != 1 {
			t.Fatalf("blob rows for one content = %d, want 1", n)
		}
		got, mime, err := db.Blob(t.Context(), want)
		if err != nil || !bytes.Equal(got, data) || mime != "image/png" {
			t.Fatalf("Blob = %q, %q, %v", got, mime, err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		if _, _, err := db.Blob(t.Context(), hex.EncodeToString(make([]byte, 32))); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Blob(unknown) = %v, want ErrNotFound", err)
		}
	})

	t.Run("Attachments", func(t *testing.T) {
		r := &Report{Category: "other", Description: "with photo"}
		mustReport(t, db, r, []Attachment{{SHA256: want, Name: "a.png"}, {SHA256: want, Name: "again.png"}})
		mustUpdate(t, db, func(tx *Tx) error {
			n, err := tx.CountReportAttachments(r.ID)
			if err != nil {
				return err
			}
			if n != 2 {
				t.Errorf("attachments = %d, want 2", n)
			}
			return nil
		})
		if n := mustCount(t, db, `SELECT COUNT(*) FROM blobs`); n != 2 {
			t.Fatalf("blobs = %d, want 2 (attaching twice stores no copy)", n)
		}
	})

	// foreign_keys(1) is on: an attachment must name a stored blob, and the whole report
	// is rolled back with it.
	t.Run("ErrUnknownBlob", func(t *testing.T) {
		before := mustCount(t, db, `SELECT COUNT(*) FROM reports`)
		err := db.Update(t.Context(), func(tx *Tx) error {
			_, err := tx.CreateReport(&Report{Category: "other", Description: "x"}, []Attachment{{SHA256: "deadbeef"}})
			return err
		})
		if err == nil {
			t.Fatal("CreateReport accepted an attachment of an unknown blob")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM reports`); n != before {
			t.Fatalf("reports = %d, want %d", n, before)
		}
	})
}

func TestNormalizeQueryCode(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"1234567890123456", "1234567890123456", true},
		{"1234 5678 9012 3456", "1234567890123456", true},
		{"1234-5678-9012-3456", "1234567890123456", true},
		{"１２３４５６７８９０１２３４５６", "1234567890123456", true},
		{"１２３４\u3000５６７８ 9012-3456", "1234567890123456", true},
		{" 1234567890123456 ", "1234567890123456", true},
		{"123456789012345", "", false},   // 15 digits
		{"12345678901234567", "", false}, // 17 digits
		{"1234 5678 9012 345a", "", false},
		{"abcd efgh ijkl mnop", "", false},
		{"1234.5678.9012.3456", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeQueryCode(tt.in)
		if ok != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("NormalizeQueryCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFormatQueryCode(t *testing.T) {
	checkStrings(t, "FormatQueryCode", FormatQueryCode, []stringCase{
		{"1234567890123456", "1234 5678 9012 3456"},
		{"123456", "1234 56"},
		{"", ""},
	})
}
