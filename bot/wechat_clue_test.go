package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// TestWeChatClueFile: an official on WeChat opens a clue and picks one of its files from the
// numbered menu; an Official Account cannot send a document, so the answer names the file and
// says where to open it (the desk), and the request is audit-logged like on the other channels.
func TestWeChatClueFile(t *testing.T) {
	f := newWXFixture(t, WeChatConfig{})
	ctx := context.Background()
	tw, village, err := f.db.FindPlaceByName(ctx, "新站镇", "东风村")
	if err != nil {
		t.Fatal(err)
	}
	code, err := f.db.CreateInvitation(ctx, &store.Invitation{Role: store.RoleOfficial, TownshipID: tw, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var number string
	if err := f.db.Update(ctx, func(tx *store.Tx) error {
		chat, err := tx.EnsureChat(handlers.PlatformWeChat, "oOfficial", "zh", false)
		if err != nil {
			return err
		}
		if _, err := tx.RedeemInvitation(code, chat.ID); err != nil {
			return err
		}
		sha, err := tx.PutBlob([]byte("%PDF-1.4 receipt"), "application/pdf")
		if err != nil {
			return err
		}
		r := &store.Report{Category: "interests", TownshipID: tw, VillageID: village, Subject: "东风村会计", Description: "截留补贴", Anonymous: true, Lang: "zh"}
		if _, err := tx.CreateReport(r, []store.Attachment{{SHA256: sha, Name: "附件1.pdf", MIME: "application/pdf", Size: 16}}); err != nil {
			return err
		}
		c := &store.Clue{Source: store.ClueFromReport, ReportID: r.ID, Subject: r.Subject, Summary: r.Description, TownshipID: tw, VillageID: village}
		if _, err := tx.CreateClue(c); err != nil {
			return err
		}
		number = c.Number
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f.start()
	card := f.say("oOfficial", "/clue "+number, "附件1.pdf")
	got := f.say("oOfficial", choice(t, card, "附件1.pdf"), "无法通过公众号发送")
	if !strings.Contains(got, "附件1.pdf") || !strings.Contains(got, "/desk") {
		t.Errorf("the answer to the file's number: %q", got)
	}
	if n := countRows(t, f.dbPath, `SELECT COUNT(*) FROM audit WHERE action = 'clue.file' AND channel = 'wechat'`); n != 1 {
		t.Errorf("%d clue.file audit rows", n)
	}
}
