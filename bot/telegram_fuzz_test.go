package bot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"xuncha/bot/telegramtest"
	"xuncha/store"
)

// FuzzTelegramUpdate feeds arbitrary update JSON through the Telegram channel's decoding and
// into the engine, as a stored update would be processed. Nothing may panic, and an update must
// either be skipped or become a step; either way it ends up processed, never stuck pending.
// The chat an update is ordered by (chatKeyOf, a partial decode) must be the chat of the
// update the library decodes.
//
//	go test -run '^$' -fuzz FuzzTelegramUpdate -fuzztime 1000000x ./bot/
func FuzzTelegramUpdate(f *testing.F) {
	f.Add(telegramtest.Message(1, 42, "/start"))
	f.Add(telegramtest.Message(2, 42, "投诉 /help@xuncha_test_bot"))
	f.Add(telegramtest.GroupMessage(3, -100, 42, "/report@other_bot"))
	f.Add(telegramtest.Photo(4, 42, "missing-file", 30<<20, "caption"))
	f.Add(telegramtest.Press(5, telegramtest.Sent{ChatID: 42, MessageID: 7, Text: "q", ReplyMarkup: `{"inline_keyboard":[[{"text":"a","callback_data":"c:interests"}]]}`}, "c:interests"))
	f.Add(`{"update_id":6,"callback_query":{"id":"x","from":{"id":1},"data":"x","message":{"message_id":1,"date":0,"chat":{"id":9,"type":"private"}}}}`)
	f.Add(`{"update_id":7,"my_chat_member":{"chat":{"id":1,"type":"private"}}}`)
	f.Add(`{"update_id":8,"message":{"chat":{"id":0},"document":{"file_id":"d","file_size":-1}}}`)
	f.Add(`{"update_id":9}`)
	f.Add(`not json`)
	fake := telegramtest.Start(f, testToken)
	// Each fuzzing worker process gets its own database.
	// On tmpfs where there is one: fuzzing measures inputs, not fsync.
	tmp := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		tmp = "/dev/shm"
	}
	dir, err := os.MkdirTemp(tmp, "xuncha-fuzz-")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	fx := newTGFixture(f, fake, filepath.Join(dir, "fuzz.db"), TelegramConfig{})
	ctx := context.Background()
	// Fuzzing runs several worker processes; ids carry a per-process prefix so that they never
	// collide should the workers share a directory.
	prefix := "f" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-"
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, raw string) {
		id := prefix + strconv.FormatInt(n.Add(1), 10)
		msg := store.Received{MsgID: id, Payload: []byte(raw)}
		if _, err := fx.db.ReceiveMessages(ctx, "telegram", []store.Received{msg}, "", ""); err != nil {
			t.Fatal(err)
		}
		if want, ok := chatKeyOfUpdate(msg.Payload); ok {
			if got := chatKeyOf(msg.Payload); got != want {
				t.Fatalf("update %q: chat key %q, the decoded update says %q", raw, got, want)
			}
		}
		start := time.Now()
		if err := fx.tg.handleUpdate(ctx, msg); err != nil {
			t.Fatalf("update %q: %v", raw, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("update %q took %v", raw, d)
		}
		pending, err := fx.db.PendingMessages(ctx, "telegram", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pending {
			if p.MsgID == id {
				t.Fatalf("update %q is still pending after processing", raw)
			}
		}
	})
}

// chatKeyOfUpdate is the chat of an update as the library decodes it; false when it does not
// decode.
func chatKeyOfUpdate(raw []byte) (string, bool) {
	var u models.Update
	if json.Unmarshal(raw, &u) != nil {
		return "", false
	}
	switch {
	case u.Message != nil:
		return strconv.FormatInt(u.Message.Chat.ID, 10), true
	case u.CallbackQuery != nil && u.CallbackQuery.Message.Message != nil:
		return strconv.FormatInt(u.CallbackQuery.Message.Message.Chat.ID, 10), true
	case u.CallbackQuery != nil && u.CallbackQuery.Message.InaccessibleMessage != nil:
		return strconv.FormatInt(u.CallbackQuery.Message.InaccessibleMessage.Chat.ID, 10), true
	case u.MyChatMember != nil:
		return strconv.FormatInt(u.MyChatMember.Chat.ID, 10), true
	}
	return "", true
}
