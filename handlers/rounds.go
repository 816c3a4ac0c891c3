// Rounds and what hangs off them in chat: village classification (five steps, each owned by
// one role), pre-inspection briefings, meetings, rectification and the talent pool. Buttons
// carry ids ("rd:cl:3:2"); only free text (a briefing, a plan, a visit note) uses the
// conversation state. Every button and command re-checks the sender's role, and a refusal
// names who owns the step.

package handlers

import (
	"errors"
	"fmt"
	"strings"

	"xuncha/store"
)

func (t *turn) roundsRefuse(action, object, key string, args ...any) error {
	if err := t.auditRefusal("rounds.refused", object, action+" role="+string(t.role())); err != nil {
		return err
	}
	t.say(t.tr(key, args...))
	return nil
}

func (t *turn) roleName(r store.Role) string {
	if r == "" {
		return t.tr("rd.resident")
	}
	return t.tr("role." + string(r))
}

// roundsCommand runs /rounds, /classify, /briefing, /briefings, /meetings, /rectify, /suggest
// and /talents.
func (t *turn) roundsCommand(cmd, arg string) error {
	switch cmd {
	case "rounds":
		if !t.isOfficial() {
			return t.roundsRefuse("rounds", "rounds", "rd.denied.official")
		}
		return t.forRound(arg, t.showRound)
	case "classify":
		return t.classify(arg)
	case "briefing":
		if !t.isUnit() {
			return t.roundsRefuse("briefing", "briefing", "rd.denied.unit")
		}
		return t.listBriefingRequests()
	case "briefings":
		if !t.isOfficial() {
			return t.roundsRefuse("briefings", "briefing", "rd.denied.official")
		}
		if rest, ok := strings.CutPrefix(arg, "request "); ok {
			return t.requestBriefings(rest)
		}
		return t.forRound(arg, t.showBriefings)
	case "meetings":
		if rest, ok := strings.CutPrefix(arg, "add "); ok {
			if !t.isOfficial() {
				return t.roundsRefuse("meeting.add", "meeting", "rd.denied.official")
			}
			return t.addMeeting(rest)
		}
		if t.person == nil {
			return t.roundsRefuse("meetings", "meeting", "rd.denied.staff")
		}
		return t.listMeetings()
	case "rectify":
		if rest, ok := strings.CutPrefix(arg, "add "); ok {
			if !t.isOfficial() {
				return t.roundsRefuse("rectify.add", "rectify", "rd.denied.official")
			}
			return t.createRect(store.RectTask, rest)
		}
		if !t.isUnit() && !t.isOfficial() {
			return t.roundsRefuse("rectify", "rectify", "rd.denied.rectify")
		}
		return t.listRect()
	case "suggest":
		if !t.isOfficial() {
			return t.roundsRefuse("suggest", "rectify", "rd.denied.official")
		}
		return t.createRect(store.RectSuggestion, arg)
	case "talents":
		if !t.isOfficial() {
			return t.roundsRefuse("talents", "talents", "rd.denied.official")
		}
		return t.listTalents(arg)
	}
	t.say(t.tr("unknown.command"))
	return nil
}

// findRound finds a round by name or number; empty means the latest. When there is none it
// says so and returns nil.
func (t *turn) findRound(arg string) (*store.Round, error) {
	var r *store.Round
	if arg == "" {
		rs, err := t.tx.Rounds()
		if err != nil {
			return nil, err
		}
		if len(rs) > 0 {
			r = &rs[0]
		}
	} else {
		var err error
		if r, err = t.tx.FindRound(arg); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if r == nil {
		t.say(t.tr("rd.round.none"))
	}
	return r, nil
}

// forRound runs show on the round arg names (see findRound), when there is one.
func (t *turn) forRound(arg string, show func(*store.Round) error) error {
	r, err := t.findRound(arg)
	if r == nil || err != nil {
		return err
	}
	return show(r)
}

func (t *turn) showRound(r *store.Round) error {
	info, err := t.tx.RoundDetail(r.ID)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(t.tr("rd.round.head", info.Name, t.formatDay(info.StartsAt), t.formatDay(info.EndsAt)))
	for _, g := range info.Groups {
		b.WriteString(t.tr("rd.round.group", g.Name, len(g.Members)))
	}
	if len(info.Orgs) > 0 {
		b.WriteString(t.tr("rd.round.orgs", strings.Join(info.Orgs, "、")))
	}
	for _, p := range info.Places {
		b.WriteString(t.tr("rd.round.place", p.Township, p.Village, t.tr("rd.mode."+p.Mode)))
	}
	if info.AnnouncementID != 0 {
		b.WriteString(t.tr("rd.round.ann", info.AnnouncementID))
	}
	if err := t.audit("rounds.read", fmt.Sprintf("round:%d", r.ID), ""); err != nil {
		return err
	}
	t.say(b.String())
	return nil
}

// roundsButton handles every "rd:" button; op is its action after the "rd".
func (t *turn) roundsButton(op Action) error {
	// num(i) counts the op as 0, as the data reads: rd:<op>:<num(1)>:<num(2)>.
	num := func(i int) int64 {
		n, _ := op.ID(i - 1)
		return n
	}
	switch op.Verb {
	case "cl":
		return t.advanceCycle(num(1), int(num(2)))
	case "br":
		return t.startBriefing(num(1), int(num(2)))
	case "bd":
		return t.finishBriefing(num(1))
	case "mc":
		return t.confirmMeeting(num(1))
	case "mh":
		return t.handOver(num(1))
	case "rp", "rg", "rt", "rv", "rw", "rd":
		return t.rectButton(op.Verb, num(1))
	}
	t.say(t.tr("button.expired"))
	return nil
}

// roundsStep handles text and files in the rounds flow.
func (t *turn) roundsStep() error {
	d := t.st.Rounds
	if d == nil {
		t.reset()
		t.say(t.tr("button.expired"))
		return nil
	}
	text := strings.TrimSpace(t.msg.Text)
	files, err := t.storeFiles()
	if err != nil {
		return err
	}
	if text == "" && len(files) == 0 {
		t.say(t.tr("need.text"))
		return nil
	}
	if t.st.Step == rdBrief {
		r, err := t.ownRequest(d.RequestID)
		if err != nil {
			return err
		}
		if r == nil {
			t.reset()
			return t.roundsRefuse("briefing", fmt.Sprintf("briefing:%d", d.RequestID), "rd.denied.unit")
		}
		b := &store.Briefing{RequestID: r.ID, Org: d.Org, Body: text, PersonID: t.personID()}
		if len(files) > 0 {
			b.FileSHA, b.FileName = files[0].SHA256, files[0].Name
		}
		if err := t.tx.AddBriefing(b); err != nil {
			return err
		}
		for _, f := range files[min(1, len(files)):] {
			if err := t.tx.AddBriefing(&store.Briefing{RequestID: r.ID, Org: d.Org, FileSHA: f.SHA256, FileName: f.Name, PersonID: t.personID()}); err != nil {
				return err
			}
		}
		if err := t.audit("briefing.add", fmt.Sprintf("briefing:%d", r.ID), d.Org); err != nil {
			return err
		}
		t.say(t.tr("rd.br.saved", d.Org), []store.Button{t.btn("rd.br.done", NewAction(VerbRounds, "bd", r.ID).Data())})
		return nil
	}
	return t.rectText(d, text, files)
}

// routeToGroup tells the inspection groups of the rounds under way in the clue's village that
// a report arrived there, with a button to open it: the ledger's scope rules still decide who
// may read it, and nothing in the notice names the reporter.
func (t *turn) routeToGroup(c *store.Clue) error {
	if c.VillageID == 0 {
		return nil
	}
	recips, err := t.tx.GroupRecipientsAt(c.VillageID, t.tx.Now())
	if err != nil {
		return err
	}
	for _, r := range recips {
		if r.ChatID == t.chat.ID {
			continue
		}
		msg := store.OutMessage{Text: T(r.Lang, "rd.report.routed", c.Number, c.Title), Buttons: [][]store.Button{t.openButton(r.Lang, c)}}
		if err := t.tell(r.ChatID, msg, fmt.Sprintf("clue:%d:group:%d", c.ID, r.ChatID)); err != nil {
			return err
		}
	}
	return nil
}
