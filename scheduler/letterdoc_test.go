package scheduler

import (
	"context"
	"strings"
	"testing"

	"xuncha/handlers"
	"xuncha/internal/docx/docxtest"
	"xuncha/store"
)

// TestLetterDocuments: each letter the ladder issues goes to the unit with its .docx — the
// reminder letter and, unacknowledged, the supervision letter, which names the reminder — and
// the document says the number, the addressee, the clue and the date in Chinese.
func TestLetterDocuments(t *testing.T) {
	f := newShortLadder(t)
	f.s.cfg.Letters = handlers.New(f.log, f.db, handlers.Config{Location: shanghai, Office: "蛟河市委巡察办"})
	tw := f.township("新站镇")
	_, unitChat := f.person(store.RoleUnit, 0, 0, "市纪委监委第一纪检监察室", "801")
	f.clue("K-1", "市纪委监委第一纪检监察室", tw, 0, at(2026, 3, 20, 23, 59))
	f.run(f.s.Escalate, at(2026, 3, 23, 9, 0))
	f.run(f.s.Escalate, at(2026, 3, 30, 9, 0))
	m := f.mailbox(unitChat)
	if len(m) != 2 {
		t.Fatalf("%d letters, want the reminder and the supervision letter", len(m))
	}
	want := []struct{ name, text string }{
		{"提醒〔2026〕1号.docx", "提醒〔2026〕1号|关于督促办理问题线索的提醒函|市纪委监委第一纪检监察室：|K-1|2026年3月20日|蛟河市委巡察办|2026年3月23日"},
		{"督办〔2026〕1号.docx", "督办〔2026〕1号|关于督促办理问题线索的督办函|市纪委监委第一纪检监察室：|2026年3月23日以提醒〔2026〕1号提醒函|2026年3月30日"},
	}
	for i, d := range m {
		file := d.Message.File
		if file == nil || file.Name != want[i].name || file.MIME != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" {
			t.Fatalf("letter %d carries %+v", i, file)
		}
		data, _, err := f.db.Blob(context.Background(), file.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		doc := docxtest.Document(t, data)
		for _, s := range strings.Split(want[i].text, "|") {
			if !strings.Contains(doc, s) {
				t.Errorf("%s does not say %q", file.Name, s)
			}
		}
		if len(d.Message.Buttons) != 1 {
			t.Errorf("letter %d lost its acknowledge button", i)
		}
	}
}
