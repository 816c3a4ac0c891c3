// Briefings (情况通报): requests to units and their answers.

package handlers

import (
	"errors"
	"fmt"
	"strings"

	"xuncha/store"
)

func (t *turn) listBriefingRequests() error {
	reqs, err := t.tx.OpenBriefingRequests(t.unitKey())
	if err != nil {
		return err
	}
	if len(reqs) == 0 {
		t.say(t.tr("rd.br.none"))
		return nil
	}
	for _, r := range reqs {
		orgs, err := t.tx.RoundOrgs(r.RoundID)
		if err != nil {
			return err
		}
		var rows [][]store.Button
		for i, o := range orgs {
			rows = append(rows, []store.Button{{Text: o, Data: NewAction(VerbRounds, "br", r.ID, i).Data()}})
		}
		rows = append(rows, []store.Button{t.btn("rd.br.done", NewAction(VerbRounds, "bd", r.ID).Data())})
		t.say(t.tr("rd.br.request", r.Round, t.formatDay(r.DueAt)), rows...)
	}
	return nil
}

// ownRequest returns the request when it is the sender's unit's.
func (t *turn) ownRequest(id int64) (*store.BriefingRequest, error) {
	r, err := t.tx.FindBriefingRequest(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !t.isUnit() || r.Unit != t.unitKey() {
		return nil, nil
	}
	return r, nil
}

func (t *turn) startBriefing(id int64, idx int) error {
	r, err := t.ownRequest(id)
	if err != nil {
		return err
	}
	if r == nil {
		return t.roundsRefuse("briefing", fmt.Sprintf("briefing:%d", id), "rd.denied.unit")
	}
	orgs, err := t.tx.RoundOrgs(r.RoundID)
	if err != nil {
		return err
	}
	if idx < 0 || idx >= len(orgs) {
		t.say(t.tr("button.expired"))
		return nil
	}
	t.reset()
	t.st.Rounds = &roundsDraft{RequestID: r.ID, Org: orgs[idx]}
	t.set(flowRounds, rdBrief)
	t.say(t.tr("rd.br.ask", orgs[idx]), []store.Button{t.btn("rd.br.done", NewAction(VerbRounds, "bd", r.ID).Data())})
	return nil
}

func (t *turn) finishBriefing(id int64) error {
	r, err := t.ownRequest(id)
	if err != nil {
		return err
	}
	if r == nil {
		return t.roundsRefuse("briefing.done", fmt.Sprintf("briefing:%d", id), "rd.denied.unit")
	}
	if err := t.tx.MarkBriefingRequest(r.ID, "done"); err != nil {
		return err
	}
	if err := t.audit("briefing.done", fmt.Sprintf("briefing:%d", r.ID), ""); err != nil {
		return err
	}
	t.reset()
	recips, err := t.tx.RoundMemberRecipients(r.RoundID)
	if err != nil {
		return err
	}
	for _, rc := range recips {
		if err := t.tell(rc.ChatID, store.OutMessage{Text: T(rc.Lang, "rd.br.arrived", r.Unit, r.Round)}, ""); err != nil {
			return err
		}
	}
	t.say(t.tr("rd.br.thanks"))
	return nil
}

// storeFiles checks, cleans and stores the message's files; a refused file is answered and
// not kept, and the others are.
func (t *turn) storeFiles() ([]store.Attachment, error) {
	var out []store.Attachment
	files := t.msg.Files
	defer func() { t.msg.Files = files }()
	for _, f := range files {
		t.msg.Files = []File{f}
		kept, ok, err := t.keepFiles(len(out))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, kept...)
		}
	}
	return out, nil
}

func (t *turn) showBriefings(r *store.Round) error {
	bs, err := t.tx.Briefings(r.ID)
	if err != nil {
		return err
	}
	reqs, err := t.tx.BriefingRequests(r.ID)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(t.tr("rd.br.head", r.Name))
	for _, q := range reqs {
		state := t.tr("rd.br.pending")
		if !q.DoneAt.IsZero() {
			state = t.tr("rd.br.complete")
		}
		b.WriteString(t.tr("rd.br.unit", q.Unit, state))
	}
	org := ""
	for _, x := range bs {
		if x.Org != org {
			org = x.Org
			b.WriteString(t.tr("rd.br.org", org))
		}
		body := truncate(x.Body, 200)
		if x.FileName != "" {
			body = strings.TrimSpace(body + " " + t.tr("rd.file", x.FileName))
		}
		b.WriteString(t.tr("rd.br.item", x.Unit, body))
	}
	if err := t.audit("briefing.read", fmt.Sprintf("round:%d", r.ID), ""); err != nil {
		return err
	}
	t.say(b.String())
	// The files follow the summary, each named by its organisation and department.
	for _, x := range bs {
		if x.FileSHA == "" {
			continue
		}
		mime, size, err := t.tx.BlobInfo(x.FileSHA)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		t.out = append(t.out, Outgoing{ChatID: t.chat.ID, ToSender: true, OutMessage: store.OutMessage{
			Text: x.Org + " · " + x.Unit, File: &store.Attachment{SHA256: x.FileSHA, Name: x.FileName, MIME: mime, Size: size}}})
	}
	return nil
}

// requestBriefings answers "/briefings request 轮次 部门…": each department is asked once, with
// BriefingDays working days to answer; the scheduler sends the requests and the nudges.
func (t *turn) requestBriefings(arg string) error {
	fields := strings.Fields(arg)
	if len(fields) < 2 {
		t.say(t.tr("rd.br.usage"))
		return nil
	}
	r, err := t.findRound(fields[0])
	if err != nil || r == nil {
		return err
	}
	var units []string
	for _, u := range fields[1:] {
		units = append(units, t.ledger().CanonicalUnit(u))
	}
	due := t.e.cfg.Calendar.AddWorkingDays(t.tx.Now(), BriefingDays)
	if err := t.tx.RequestBriefings(r.ID, units, due); err != nil {
		return err
	}
	if err := t.audit("briefing.request", fmt.Sprintf("round:%d", r.ID), strings.Join(units, ",")); err != nil {
		return err
	}
	t.say(t.tr("rd.br.requested", r.Name, strings.Join(units, "、"), t.formatDay(due)))
	return nil
}

// BriefingDays is the working days a department has for its briefing when asked in chat.
const BriefingDays = 5
