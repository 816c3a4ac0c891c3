package handlers

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"xuncha/store"
)

// Ledger is the data the clue ledger works with: the dispositions, the four forms, the
// receiving units and the offered deadlines. It is data, not code, so that a county can adapt
// it without a release (XUNCHA_LEDGER names a file replacing the built-in ledger.json).
type Ledger struct {
	Dispositions []Disposition `json:"dispositions"`
	Forms        []Form        `json:"forms"`
	Units        []Unit        `json:"units"`
	DueDays      []int         `json:"due_days"`      // working days offered for a transfer
	DueSoonDays  int           `json:"due_soon_days"` // "due soon" = due within this many working days
	// ReferTo are the bodies a report that belongs to another level or body is referred to
	// (分级转办): the petition office, other counties, a higher commission. Keys travel in
	// button data.
	ReferTo []Unit `json:"refer_to"`
	// ReferDays: a report is studied or referred within this many working days of receipt
	// (the rules' 5); the card shows the date.
	ReferDays int `json:"refer_days"`
}

// Disposition is a disposal opinion (处置方式). Hold marks 暂存待查: such a clue waits for new
// evidence and is re-activated when it arrives.
type Disposition struct {
	Key  string `json:"key"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
	Hold bool   `json:"hold,omitempty"`
}

// Form is one of the four forms (四种形态).
type Form struct {
	N      int    `json:"n"`
	ZH     string `json:"zh"`
	EN     string `json:"en"`
	NoteZH string `json:"note_zh"`
	NoteEN string `json:"note_en"`
}

// Unit is a receiving unit (承办单位). Clues record it by its Chinese name, which is what the
// scheduler's reminders and reviews match people's invitations against; buttons carry the key.
// Members are best invited with --unit set to the Chinese name; the key works in the ledger too.
type Unit struct {
	Key string `json:"key"`
	ZH  string `json:"zh"`
	EN  string `json:"en"`
}

func pick(lang, zh, en string) string {
	if lang == LangEN {
		return en
	}
	return zh
}

// DisposalName returns a disposition's name, or the key itself when the list no longer has it.
func (l *Ledger) DisposalName(key, lang string) string {
	if key == DisposalNotAccepted {
		return T(lang, "rn.na.name")
	}
	if key == store.DisposalReferred {
		return T(lang, "refer.name")
	}
	for _, d := range l.Dispositions {
		if d.Key == key {
			return pick(lang, d.ZH, d.EN)
		}
	}
	return key
}

func (l *Ledger) disposition(key string) (Disposition, bool) {
	for _, d := range l.Dispositions {
		if d.Key == key {
			return d, true
		}
	}
	return Disposition{}, false
}

// FormName returns the name of form n, or "" for 0.
func (l *Ledger) FormName(n int, lang string) string {
	for _, f := range l.Forms {
		if f.N == n {
			return pick(lang, f.ZH, f.EN)
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// UnitName returns a unit's name by key, or the key itself.
func (l *Ledger) UnitName(key, lang string) string {
	if u, ok := l.unit(key); ok {
		return pick(lang, u.ZH, u.EN)
	}
	return key
}

// unit finds a unit by key or by either name: invitations may name a unit either way.
func (l *Ledger) unit(s string) (Unit, bool) {
	for _, u := range l.Units {
		if u.Key == s || u.ZH == s || u.EN == s {
			return u, true
		}
	}
	return Unit{}, false
}

// UnitAliases maps every other way of writing a known unit (its key, its English name) to its
// Chinese name, the one clues, letters and recipient lists use.
func (l *Ledger) UnitAliases() map[string]string {
	out := map[string]string{}
	for _, u := range l.Units {
		for _, a := range []string{u.Key, u.EN} {
			if a != "" && a != u.ZH {
				out[a] = u.ZH
			}
		}
	}
	return out
}

// CanonicalUnit maps a unit as written (key, Chinese or English name) to the name clues are
// stored under: its Chinese name, or s itself for a unit the list does not know.
func (l *Ledger) CanonicalUnit(s string) string {
	if u, ok := l.unit(s); ok {
		return u.ZH
	}
	return s
}

//go:embed ledger.json
var defaultLedger []byte

// LoadLedger reads the ledger data from a JSON file, or the built-in data when path is empty.
func LoadLedger(path string) (*Ledger, error) {
	data := defaultLedger
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read ledger data: %w", err)
		}
		data = b
	}
	var l Ledger
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("parse ledger data: %w", err)
	}
	if len(l.Dispositions) == 0 || len(l.Units) == 0 || len(l.DueDays) == 0 {
		return nil, errors.New("parse ledger data: dispositions, units and due_days must not be empty")
	}
	seen := map[string]bool{}
	for _, d := range l.Dispositions {
		// Keys travel in button data, which platforms cap at 64 bytes.
		if d.Key == "" || len(d.Key) > 16 || d.ZH == "" || d.EN == "" || seen["d:"+d.Key] {
			return nil, fmt.Errorf("parse ledger data: disposition %q needs a unique key of 1–16 bytes, zh and en", d.Key)
		}
		seen["d:"+d.Key] = true
	}
	for _, u := range l.Units {
		if u.Key == "" || len(u.Key) > 16 || u.ZH == "" || u.EN == "" || seen["u:"+u.Key] {
			return nil, fmt.Errorf("parse ledger data: unit %q needs a unique key of 1–16 bytes, zh and en", u.Key)
		}
		seen["u:"+u.Key] = true
	}
	for _, u := range l.ReferTo {
		if u.Key == "" || len(u.Key) > 16 || u.ZH == "" || u.EN == "" || seen["r:"+u.Key] {
			return nil, fmt.Errorf("parse ledger data: refer_to %q needs a unique key of 1–16 bytes, zh and en", u.Key)
		}
		seen["r:"+u.Key] = true
	}
	if l.ReferDays < 0 {
		return nil, errors.New("parse ledger data: refer_days must not be negative")
	}
	if l.ReferDays == 0 {
		l.ReferDays = 5
	}
	for _, f := range l.Forms {
		if f.N < 1 || f.N > 4 {
			return nil, fmt.Errorf("parse ledger data: form %d is not between 1 and 4", f.N)
		}
	}
	for _, d := range l.DueDays {
		if d < 1 || d > 365 {
			return nil, fmt.Errorf("parse ledger data: due_days %d is not between 1 and 365", d)
		}
	}
	if l.DueSoonDays <= 0 {
		l.DueSoonDays = 3
	}
	return &l, nil
}

// Calendar adds working days to a time. The default counts plain weekdays; a calendar that
// knows the PRC's public holidays and make-up working days can be put in Config.Calendar.
type Calendar interface {
	AddWorkingDays(t time.Time, n int) time.Time
}

// Weekdays is a Calendar of Monday to Friday in a time zone, with no holidays. A deadline is
// the end of the n-th working day after t.
type Weekdays struct{ Location *time.Location }

// AddWorkingDays implements Calendar.
func (w Weekdays) AddWorkingDays(t time.Time, n int) time.Time {
	loc := w.Location
	if loc == nil {
		loc = time.UTC
	}
	d := t.In(loc)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 23, 59, 59, 0, loc)
}
