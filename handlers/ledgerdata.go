package handlers

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
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
	// Stages are the steps of handling, each with the clock the escalation ladder keeps on a
	// clue in it. A file without them takes the built-in file's.
	Stages []Stage `json:"stages"`
}

// Stage is a step of handling (awaiting joint study, awaiting a disposal opinion, under
// verification, transferred and awaiting the outcome) and its clock, in working days. A clue is
// in the stage of its status; a clue with a deadline is in the Deadline stage, whatever its
// status. Thresholds of an entry stage count from the day the clue entered it: a nudge at
// Nudge, a reminder letter (提醒函) at Reminder, a supervision letter (督办函) at Supervision
// (that many minus Reminder after the reminder letter went). The Deadline stage counts from
// the deadline: a nudge Nudge working days before it, the reminder letter when it passes, and
// the supervision letter Supervision working days after the reminder letter if it is not
// signed for. ByDisposal replaces the thresholds for a disposal (初步核实 is given longer than
// 谈话函询).
type Stage struct {
	Key        string                `json:"key"`
	Statuses   []string              `json:"statuses"`
	ZH         string                `json:"zh"`
	EN         string                `json:"en"`
	Deadline   bool                  `json:"deadline,omitempty"`
	ByDisposal map[string]Thresholds `json:"by_disposal,omitempty"`
	Thresholds
}

// Thresholds are a stage's three steps, in working days (see Stage).
type Thresholds struct {
	Nudge       int `json:"nudge"`
	Reminder    int `json:"reminder,omitempty"`
	Supervision int `json:"supervision"`
}

// For returns the thresholds of the stage for a clue of a disposal.
func (s Stage) For(disposal string) Thresholds {
	if t, ok := s.ByDisposal[disposal]; ok {
		return t
	}
	return s.Thresholds
}

// Name returns the stage's name in lang.
func (s Stage) Name(lang string) string { return pick(lang, s.ZH, s.EN) }

// StageOf returns the stage a clue is in: the deadline stage when it has a deadline, else the
// stage of its status; false when the clue is on no clock (held, closed, or a status no stage
// lists).
func (l *Ledger) StageOf(status string, hasDeadline bool) (Stage, bool) {
	for _, s := range l.Stages {
		if s.Deadline == hasDeadline && (hasDeadline || slices.Contains(s.Statuses, status)) {
			return s, true
		}
	}
	return Stage{}, false
}

// Colour is where a clue stands on its clock, as a light with its words (never the colour
// alone), after the three levels of DOMAIN.md's escalation practice: green, on time (no step
// yet); blue, nudged; yellow, sent a reminder letter; red, sent a supervision letter. Level is
// the step taken (store.Ladder*); Stage the stage's name; "" for a clue on no clock (closed, or
// held pending new evidence).
type Colour struct {
	Key   string // "green", "blue", "yellow", "red": a CSS class, a stable export value
	Label string // the colour and the step, in words
	Stage string
}

// ClueColour returns clue c's colour in lang at now (zero Colour for a clue on no clock). A
// clue past its deadline on which the ladder has taken no step yet (its pass runs once a day)
// is not "on time": it is "late", overdue with its reminder letter still to come.
func (l *Ledger) ClueColour(c *store.Clue, lang string, now time.Time) Colour {
	if c.Status == store.ClueClosed || !c.ClosedAt.IsZero() {
		return Colour{}
	}
	st, ok := l.StageOf(c.Status, !c.DueAt.IsZero())
	if !ok {
		return Colour{}
	}
	level := min(max(c.Level, store.LadderNone), store.LadderSupervision)
	if level == store.LadderNone && !c.DueAt.IsZero() && c.PausedAt.IsZero() && now.After(c.DueAt) {
		return Colour{Key: "late", Label: T(lang, "lg.colour.late"), Stage: st.Name(lang)}
	}
	key := [...]string{"green", "blue", "yellow", "red"}[level]
	return Colour{Key: key, Label: T(lang, fmt.Sprintf("lg.colour.%d", level)), Stage: st.Name(lang)}
}

// validStages checks the stages: unique keys and statuses, names, and thresholds that climb.
func validStages(stages []Stage) error {
	seen, deadline := map[string]bool{}, false
	for _, s := range stages {
		if s.Key == "" || seen["k:"+s.Key] || s.ZH == "" || s.EN == "" {
			return fmt.Errorf("stage %q needs a unique key, zh and en", s.Key)
		}
		seen["k:"+s.Key] = true
		if s.Deadline {
			if deadline {
				return errors.New("only one stage may count from the deadline")
			}
			deadline = true
		} else if len(s.Statuses) == 0 {
			return fmt.Errorf("stage %q lists no status", s.Key)
		}
		for _, st := range s.Statuses {
			if !s.Deadline && seen["s:"+st] {
				return fmt.Errorf("status %q is in two stages", st)
			}
			seen["s:"+st] = true
		}
		all := map[string]Thresholds{"": s.Thresholds}
		for d, t := range s.ByDisposal {
			all[d] = t
		}
		for d, t := range all {
			ok := t.Nudge > 0 && t.Reminder > t.Nudge && t.Supervision > t.Reminder && t.Supervision <= 1000
			if s.Deadline {
				ok = t.Nudge > 0 && t.Reminder == 0 && t.Supervision > 0 && t.Nudge <= 365 && t.Supervision <= 365
			}
			if !ok {
				return fmt.Errorf("stage %q %s: thresholds must climb (nudge < reminder < supervision, in working days; a deadline stage has nudge and supervision only)", s.Key, d)
			}
		}
	}
	return nil
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
	var l Ledger
	if err := loadJSON(path, defaultLedger, "ledger data", &l); err != nil {
		return nil, err
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
	if len(l.Stages) == 0 && path != "" {
		def, err := LoadLedger("")
		if err != nil {
			return nil, err
		}
		l.Stages = def.Stages
	}
	if err := validStages(l.Stages); err != nil {
		return nil, fmt.Errorf("parse ledger data: %w", err)
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

// unitButtons offers units, one a row, each button the ledger action args followed by the
// unit's key.
func (t *turn) unitButtons(units []Unit, args ...any) [][]store.Button {
	return column(units, func(u Unit) store.Button {
		return store.Button{Text: pick(t.lang, u.ZH, u.EN), Data: NewAction(VerbLedger, append(args[:len(args):len(args)], u.Key)...).Data()}
	})
}
