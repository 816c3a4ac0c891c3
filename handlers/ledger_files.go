// A clue's evidence and letters in chat: the clue card lists the report's files (supplements
// included) and the clue's letters, each with a button that sends it to the chat that asked.
// A press is a request: the button's clue is checked against the rule book (PermOpen and the
// scope, in ledgerButton) and the file against that clue, so a forged button reaches no
// other clue's file and no other chat.

package handlers

import (
	"errors"
	"fmt"
	"strings"

	"xuncha/store"
)

// maxFileButtons bounds the buttons of one clue card; the desk lists the rest.
const maxFileButtons = 20

// clueFiles writes the list of a clue's files into the card and returns the buttons that send
// them, and those that send its letters.
func (t *turn) clueFiles(c *store.Clue, b *strings.Builder) ([][]store.Button, error) {
	var rows [][]store.Button
	var row []store.Button
	add := func(btn store.Button) {
		if row = append(row, btn); len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if c.ReportID != 0 {
		files, err := t.tx.ReportFiles(c.ReportID)
		if err != nil {
			return nil, err
		}
		if len(files) > 0 {
			events, err := t.tx.ReportEvents(c.ReportID, false)
			if err != nil {
				return nil, err
			}
			supplement := map[int64]bool{}
			for _, e := range events {
				supplement[e.ID] = e.Kind == "supplement"
			}
			b.WriteString(t.tr("lg.files", len(files)))
			for i, f := range files {
				b.WriteString("\n" + f.Name + " · " + FileSize(f.Size))
				if supplement[f.EventID] {
					b.WriteString(t.tr("lg.files.supplement"))
				}
				if i < maxFileButtons {
					add(store.Button{Text: t.tr("lg.file.btn", f.Name), Data: NewAction(VerbLedger, "fl", c.ID, f.ID).Data()})
				}
			}
			if n := len(files) - maxFileButtons; n > 0 {
				b.WriteString(t.tr("lg.files.more", n))
			}
		}
	}
	letters, err := t.tx.ClueLetters(c.ID)
	if err != nil {
		return nil, err
	}
	for _, l := range letters {
		add(store.Button{Text: t.tr("lg.letter.btn", l.Number), Data: NewAction(VerbLedger, "lt", c.ID, l.ID).Data()})
	}
	if row != nil {
		rows = append(rows, row)
	}
	return rows, nil
}

// FileSize is a file's size for people, in the chat and on the desk.
func FileSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// sendClueFile sends one of the clue's files to the chat that pressed its button. The caller
// checked that the sender may open clue c; the file must be one of c's report's.
func (t *turn) sendClueFile(c *store.Clue, fileID int64) error {
	var file *store.ReportFile
	if c.ReportID != 0 {
		files, err := t.tx.ReportFiles(c.ReportID)
		if err != nil {
			return err
		}
		for i := range files {
			if files[i].ID == fileID {
				file = &files[i]
			}
		}
	}
	if file == nil {
		// Another report's file, or one the retention purge removed: nothing is sent.
		if err := t.auditRefusal("ledger.refused", clueObject(c), fmt.Sprintf("file:%d", fileID)); err != nil {
			return err
		}
		t.say(t.tr("lg.file.gone"))
		return nil
	}
	if err := t.audit("clue.file", clueObject(c), fmt.Sprintf("file:%d", file.ID)); err != nil {
		return err
	}
	t.sendFile(t.tr("lg.file.sent", c.Number, file.Name),
		store.Attachment{SHA256: file.SHA256, Name: file.Name, MIME: file.MIME, Size: file.Size})
	return nil
}

// sendClueLetter sends one of the clue's letters, as the .docx the unit got, to the chat that
// pressed its button.
func (t *turn) sendClueLetter(c *store.Clue, letterID int64) error {
	l, err := t.tx.FindLetter(letterID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if l == nil || l.ClueID != c.ID {
		if err := t.auditRefusal("ledger.refused", clueObject(c), fmt.Sprintf("letter:%d", letterID)); err != nil {
			return err
		}
		t.say(t.tr("lg.letter.gone"))
		return nil
	}
	a, err := t.e.PutLetterFile(t.tx, l.ID)
	if err != nil {
		return err
	}
	if err := t.audit("clue.letter", clueObject(c), l.Number); err != nil {
		return err
	}
	t.sendFile(t.tr("lg.letter.sent", c.Number, l.Number), *a)
	return nil
}

// sendFile answers the sender with a stored file. On WeChat, which cannot send a document, the
// adapter writes a note in its place (text wechat.file).
func (t *turn) sendFile(text string, a store.Attachment) {
	t.out = append(t.out, Outgoing{ChatID: t.chat.ID, ToSender: true, OutMessage: store.OutMessage{Text: text, File: &a}})
}
