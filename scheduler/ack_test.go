package scheduler

import (
	"fmt"
	"strings"
	"testing"

	"xuncha/handlers"
	"xuncha/store"
)

// TestAckButton presses a letter's acknowledge button through the conversation engine, as a
// unit member would in Telegram: the letter is signed, the timeline records it, and the
// supervision letter that would have followed never comes.
func TestAckButton(t *testing.T) {
	f := newShortLadder(t)
	tw := f.township("新站镇")
	_, unitChat := f.person(store.RoleUnit, 0, 0, "组织部", "801")
	_, _ = f.person(store.RoleUnit, 0, 0, "宣传部", "802")
	id := f.clue("K-1", "组织部", tw, 0, at(2026, 3, 20, 23, 59))
	f.run(f.s.Escalate, at(2026, 3, 23, 9, 0))
	m := f.mailbox(unitChat)
	if len(m) != 1 || len(m[0].Message.Buttons) != 1 {
		t.Fatalf("reminder letter: %+v", m)
	}
	data := m[0].Message.Buttons[0][0].Data

	engine := handlers.New(f.log, f.db, handlers.Config{Location: shanghai})
	press := func(chat, msgID string) string {
		res, err := engine.Handle(t.Context(), handlers.Message{Platform: "telegram", ChatID: chat, MsgID: msgID, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range res.Out {
			out = append(out, o.Text)
		}
		return strings.Join(out, "\n")
	}
	if got := press("802", "m1"); !strings.Contains(got, "无权签收") {
		t.Fatalf("another unit: %q", got)
	}
	if got := press("801", "m2"); !strings.Contains(got, "已签收 提醒〔2026〕1号") {
		t.Fatalf("unit: %q", got)
	}
	if got := press("801", "m3"); !strings.Contains(got, "此前已签收") {
		t.Fatalf("second press: %q", got)
	}
	for d := 24; d <= 31; d++ {
		f.run(f.s.Escalate, at(2026, 3, d, 9, 0))
	}
	want := "reminder_letter 提醒〔2026〕1号|letter_acknowledged 提醒〔2026〕1号"
	if got := strings.Join(f.events(id), "|"); got != want {
		t.Fatalf("timeline %s, want %s", got, want)
	}
	_ = fmt.Sprint
}
