package handlers

import (
	"fmt"

	"xuncha/store"
)

// Units nobody answers for: a transfer or a meeting notice to a receiving unit with no bound
// member reached nobody, silently. The inspection office is told at once instead, and the
// monthly review lists such units (scheduler.MonthlyReview).

// TellOfficeUnanswered queues to the inspection office of a township (its officials and the
// administrators; 0: the county's) the text of key, whose arguments may be functions of the
// recipient's language, with buttons. skip is a chat not to tell (the sender's, told in the
// answer); dedupe names the event, so that a retry queues nothing twice. enqueue queues one
// message (nil: tx.Enqueue; a chat step passes its own, so the message leaves with the step's
// answers). It returns how many chats were told.
func TellOfficeUnanswered(tx *store.Tx, enqueue func(chatID int64, msg store.OutMessage, key string) error, township, skip int64, dedupe string,
	buttons func(lang string) [][]store.Button, key string, args ...any) (int, error) {
	if enqueue == nil {
		enqueue = func(chatID int64, msg store.OutMessage, key string) error {
			_, err := tx.Enqueue(chatID, msg, key)
			return err
		}
	}
	recips, err := tx.RecipientsOfRoles(township, store.RoleOfficial, store.RoleAdmin)
	if err != nil {
		return 0, err
	}
	n := 0
	seen := map[int64]bool{skip: true}
	for _, r := range recips {
		if seen[r.ChatID] {
			continue
		}
		seen[r.ChatID] = true
		local := make([]any, len(args))
		for i, a := range args {
			if f, ok := a.(func(string) string); ok {
				a = f(r.Lang)
			}
			local[i] = a
		}
		msg := store.OutMessage{Text: T(r.Lang, key, local...)}
		if buttons != nil {
			msg.Buttons = buttons(r.Lang)
		}
		if err := enqueue(r.ChatID, msg, fmt.Sprintf("%s:%d", dedupe, r.ChatID)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// MeetingUnanswered tells the office that a meeting's notice reaches no member of unit; when,
// the meeting's time as shown; enqueue as for TellOfficeUnanswered.
func MeetingUnanswered(tx *store.Tx, enqueue func(int64, store.OutMessage, string) error, l *Ledger, m *store.Meeting, unit string, when func() string, skip int64) error {
	_, err := TellOfficeUnanswered(tx, enqueue, 0, skip, fmt.Sprintf("meeting:%d:nobody:%s", m.ID, unit), nil, "unit.nobody.meeting",
		func(lang string) string { return T(lang, "rd.mt."+m.Kind) }, when(),
		func(lang string) string { return l.UnitName(unit, lang) })
	return err
}

// transferUnanswered tells the clue's office that its transfer reached nobody.
func (t *turn) transferUnanswered(c *store.Clue, unit string) error {
	_, err := TellOfficeUnanswered(t.tx, t.tell, c.TownshipID, t.chat.ID, fmt.Sprintf("clue:%d:nobody:%d", c.ID, t.tx.Now().Unix()),
		func(lang string) [][]store.Button { return [][]store.Button{t.openButton(lang, c)} },
		"unit.nobody.transfer", c.Number, func(lang string) string { return t.ledger().UnitName(unit, lang) })
	return err
}
