// Letters as documents: each reminder and supervision letter as the .docx an office files and
// prints (package docx lays it out). The chat sends it with the letter, the desk and /clue
// hand it out again.

package handlers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"xuncha/internal/docx"
	"xuncha/store"
)

// LetterFile renders a letter as a Word document: number, title, the receiving unit as
// addressee, the body, the issuing office (Config.Office) and the date it was sent. It holds
// the clue's number and title, never anything about a reporter. The text is in the
// deployment's language (Config.DefaultLang), whoever asks: a letter of record reads the same
// for everyone. The caller has checked who may have it.
func (e *Engine) LetterFile(tx *store.Tx, letterID int64) (store.Attachment, []byte, error) {
	l, err := tx.FindLetter(letterID)
	if err != nil {
		return store.Attachment{}, nil, err
	}
	c, err := tx.FindClue(l.ClueID)
	if err != nil {
		return store.Attachment{}, nil, err
	}
	lang, loc := e.cfg.DefaultLang, e.cfg.Location
	date := func(t time.Time) string {
		t = t.In(loc)
		return T(lang, "letter.doc.date", t.Year(), int(t.Month()), t.Day())
	}
	unit := T(lang, "letter.doc.to.none")
	if c.Unit != "" {
		unit = e.cfg.Ledger.UnitName(c.Unit, lang)
	}
	title := c.Title // the category's name (registerReportClue), or 巡察发现
	if k, ok := e.category(c.Category); ok {
		title = k.Name(lang)
	}
	title = withoutExamples(title)
	var body string
	titleKey := "letter.doc.title." + l.Kind
	if l.Stage != "" {
		// A letter about a stage's clock: the clue stood still in a step of handling.
		body, err = e.stageLetterBody(tx, lang, l, c, title, date)
		if err != nil {
			return store.Attachment{}, nil, err
		}
		titleKey = "letter.doc.title.stage." + l.Kind
	}
	switch {
	case l.Stage != "":
	case l.Kind == store.LetterReminder:
		body = T(lang, "letter.doc.body.reminder_letter", c.Number, title, date(l.DueAt))
	case l.Kind == store.LetterSupervision:
		// The supervision letter names the reminder letter about the same deadline.
		letters, err := tx.ClueLetters(c.ID)
		if err != nil {
			return store.Attachment{}, nil, err
		}
		var reminder *store.Letter
		for i, r := range letters {
			if r.Kind == store.LetterReminder && r.DueAt.Equal(l.DueAt) && r.ID < l.ID {
				reminder = &letters[i]
			}
		}
		if reminder != nil {
			body = T(lang, "letter.doc.body.supervision_letter", c.Number, title, date(l.DueAt), date(reminder.SentAt), reminder.Number)
		} else {
			body = T(lang, "letter.doc.body.supervision_letter.first", c.Number, title, date(l.DueAt))
		}
	default:
		return store.Attachment{}, nil, fmt.Errorf("letter %d: unknown kind %q", l.ID, l.Kind)
	}
	office := e.cfg.Office
	if office == "" {
		office = T(lang, "letter.doc.office")
	}
	data, err := docx.Bytes(docx.Document{
		Number:    l.Number,
		Title:     T(lang, titleKey),
		Addressee: T(lang, "letter.doc.to", unit),
		Blocks:    []docx.Block{{Kind: docx.Paragraph, Text: body}},
		Office:    office,
		Date:      date(l.SentAt),
	})
	if err != nil {
		return store.Attachment{}, nil, err
	}
	return store.Attachment{Name: l.Number + ".docx", MIME: docx.MIME, Size: int64(len(data))}, data, nil
}

// stageLetterBody is the body of a letter about a clue that stood still in a stage: the
// stage, since when, and for a supervision letter the reminder letter about the same stay.
func (e *Engine) stageLetterBody(tx *store.Tx, lang string, l *store.Letter, c *store.Clue, title string, date func(time.Time) string) (string, error) {
	stage := l.Stage
	if st, ok := e.cfg.Ledger.StageOf(l.Stage, false); ok {
		stage = st.Name(lang)
	}
	switch l.Kind {
	case store.LetterReminder:
		return T(lang, "letter.doc.body.stage.reminder_letter", c.Number, title, stage, date(l.DueAt)), nil
	case store.LetterSupervision:
		letters, err := tx.ClueLetters(c.ID)
		if err != nil {
			return "", err
		}
		for _, r := range slices.Backward(letters) {
			if r.Kind == store.LetterReminder && r.Stage == l.Stage && r.DueAt.Equal(l.DueAt) && r.ID < l.ID {
				return T(lang, "letter.doc.body.stage.supervision_letter", c.Number, title, stage, date(l.DueAt), date(r.SentAt), r.Number), nil
			}
		}
		return T(lang, "letter.doc.body.stage.supervision_letter.first", c.Number, title, stage, date(l.DueAt)), nil
	}
	return "", fmt.Errorf("letter %d: unknown kind %q", l.ID, l.Kind)
}

// PutLetterFile renders a letter (LetterFile) and stores it, so that an outbox message can
// carry it.
func (e *Engine) PutLetterFile(tx *store.Tx, letterID int64) (*store.Attachment, error) {
	a, data, err := e.LetterFile(tx, letterID)
	if err != nil {
		return nil, err
	}
	if a.SHA256, err = tx.PutBlob(data, a.MIME); err != nil {
		return nil, err
	}
	return &a, nil
}

// category finds a report category by key.
func (e *Engine) category(key string) (Category, bool) {
	for _, k := range e.cfg.Categories {
		if k.Key == key {
			return k, true
		}
	}
	return Category{}, false
}

// withoutExamples is a category's name without the examples a resident is shown in brackets
// after it (侵害群众利益（村集体资金、惠农补贴、低保等） → 侵害群众利益): the letter puts the
// name in brackets itself, and an office writes no brackets inside brackets.
func withoutExamples(name string) string {
	for _, b := range [][2]string{{"（", "）"}, {" (", ")"}} {
		if i := strings.Index(name, b[0]); i > 0 && strings.HasSuffix(name, b[1]) {
			return name[:i]
		}
	}
	return name
}
