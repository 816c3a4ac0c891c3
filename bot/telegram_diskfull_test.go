package bot

import (
	"path/filepath"
	"strings"
	"testing"

	"xuncha/bot/telegramtest"
	"xuncha/handlers"
)

// TestTelegramDiskFull: while the database is full (SQLite's max_page_count on every
// connection, SQLITE_FULL as on a full disk), an update cannot be stored, so its offset is not
// confirmed and Telegram keeps it: nothing is stored, nothing sent. When space returns, the
// same update is stored, confirmed and answered once.
func TestTelegramDiskFull(t *testing.T) {
	fake := telegramtest.Start(t, testToken)
	f := newTGFixture(t, fake, filepath.Join(t.TempDir(), "x.db"), TelegramConfig{})
	f.start()
	const chat = 901
	fake.AddUpdate(telegramtest.Message(1, chat, "/start"))
	fake.WaitText(t, chat, 0, "巡察监督举报服务")
	waitFor(t, "the first update confirmed", func() bool { return fake.Confirmed() == 2 })

	if err := f.db.SetMaxPageCount(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	sent, calls := len(fake.SentTo(chat)), len(fake.Calls("getUpdates"))
	// Long enough that storing it needs pages the file may not grow to.
	fake.AddUpdate(telegramtest.Message(2, chat, strings.Repeat("村里的惠农补贴被会计截留。", 300)))
	waitFor(t, "getUpdates asked again while full", func() bool { return len(fake.Calls("getUpdates")) >= calls+3 })
	if c := fake.Confirmed(); c != 2 {
		t.Errorf("offset %d confirmed while the update could not be stored", c)
	}
	if p, err := f.db.PendingMessages(t.Context(), handlers.PlatformTelegram, 10); err != nil || len(p) != 0 {
		t.Errorf("stored while full: %d (%v)", len(p), err)
	}
	if n := len(fake.SentTo(chat)); n != sent {
		t.Errorf("%d messages sent while full", n-sent)
	}
	if !strings.Contains(f.logs.String(), "store updates failed") {
		t.Errorf("the failure is not logged:\n%s", f.logs.String())
	}

	if err := f.db.SetMaxPageCount(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the update confirmed after space returned", func() bool { return fake.Confirmed() == 3 })
	waitFor(t, "an answer", func() bool { return len(fake.SentTo(chat)) > sent })
	fake.AddUpdate(telegramtest.Message(3, chat, "/help"))
	fake.WaitText(t, chat, sent, "可用命令")
	if n := len(fake.SentTo(chat)) - sent; n != 2 {
		t.Errorf("%d messages for the stored update and /help, want 2: %v", n, fake.SentTo(chat)[sent:])
	}
}
