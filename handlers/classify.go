// Village classification (分类): the five-step cycle and who approves each step.

package handlers

import (
	"errors"
	"fmt"
	"strings"

	"xuncha/store"
)

// classStepDays are the working days each classification step is given.
var classStepDays = map[int]int{store.ClassPropose: 10, store.ClassResearch: 10, store.ClassOpinions: 5,
	store.ClassAdjust: 5, store.ClassApprove: 5}

// ClassStepDays returns the working days a classification step is given.
func ClassStepDays(step int) int { return classStepDays[step] }

// ClassStepRole returns the role that owns a classification step.
//
// Roles are the fixed list of 0001_init.sql. The leading group (领导小组) and the city
// committee (市委) are administrators who sit for a body (people.body, migration 0026): a new
// role would need a new CHECK list, which a migration cannot change without rebuilding the
// people and invitations tables. Step 4 is the leading group's, step 5 the committee's (see
// ClassStepBody), and nobody closes two steps of one cycle.
func ClassStepRole(step int) store.Role {
	switch step {
	case store.ClassPropose:
		return store.RoleLiaison
	case store.ClassResearch:
		return store.RoleOfficial
	case store.ClassOpinions:
		return store.RoleUnit
	}
	return store.RoleAdmin
}

// ClassStepBody returns the body that owns a classification step, or "" for a step owned by
// a role alone.
func ClassStepBody(step int) string {
	switch step {
	case store.ClassAdjust:
		return store.BodyLeadingGroup
	case store.ClassApprove:
		return store.BodyCommittee
	}
	return ""
}

// ownsClassStep: the step's role (and body), and for the township's proposal the liaison of
// that township.
func (t *turn) ownsClassStep(c *store.ClassCycle) bool {
	if t.person == nil || t.role() != ClassStepRole(c.Step) || t.person.Body != ClassStepBody(c.Step) {
		return false
	}
	return c.Step != store.ClassPropose || t.person.TownshipID == c.TownshipID
}

// stepOwnerName names who owns a step: its body, or its role.
func (t *turn) stepOwnerName(step int) string {
	if b := ClassStepBody(step); b != "" {
		return t.tr("rd.body." + b)
	}
	return t.roleName(ClassStepRole(step))
}

// senderName names the sender's role, or the body they sit for.
func (t *turn) senderName() string {
	if t.person != nil && t.person.Body != "" {
		return t.tr("rd.body." + t.person.Body)
	}
	return t.roleName(t.role())
}

// classify: "/classify" shows the cycles; "/classify start 乡镇" opens one; "/classify 村 重点
// 说明" records a class at the current step, for the role owning it.
func (t *turn) classify(arg string) error {
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		return t.showCycles()
	}
	if fields[0] == "start" || fields[0] == "开始" {
		if !t.isOfficial() {
			return t.roundsRefuse("classify.start", "classify", "rd.denied.official")
		}
		if len(fields) < 2 {
			t.say(t.tr("rd.cl.usage"))
			return nil
		}
		return t.startCycle(fields[1])
	}
	if len(fields) < 2 {
		t.say(t.tr("rd.cl.usage"))
		return nil
	}
	class := map[string]string{"key": "key", "重点": "key", "重点村": "key", "general": "general", "一般": "general", "一般村": "general"}[strings.ToLower(fields[1])]
	if class == "" {
		t.say(t.tr("rd.cl.usage"))
		return nil
	}
	v, err := t.villageByName(fields[0])
	if err != nil {
		return err
	}
	if v == nil {
		t.say(t.tr("rd.cl.novillage", fields[0]))
		return nil
	}
	c, err := t.tx.OpenClassCycle(v.TownshipID)
	if ok, err := t.found(err, "rd.cl.nocycle"); !ok {
		return err
	}
	if !t.ownsClassStep(c) {
		return t.refuseClassStep(c)
	}
	note := strings.Join(fields[2:], " ")
	if err := t.tx.RecordClass(c, v.ID, class, note, t.personID()); err != nil {
		return err
	}
	if err := t.audit("classify.record", fmt.Sprintf("village:%d", v.ID), fmt.Sprintf("step=%d class=%s", c.Step, class)); err != nil {
		return err
	}
	t.say(t.tr("rd.cl.recorded", v.Name, t.tr("rd.class."+class), t.tr(fmt.Sprintf("rd.cl.step%d", c.Step))),
		[]store.Button{t.btn("rd.cl.advance", NewAction(VerbRounds, "cl", c.ID, c.Step).Data())})
	return nil
}

func (t *turn) refuseClassStep(c *store.ClassCycle) error {
	if c.Step == store.ClassPropose && t.role() == ClassStepRole(c.Step) { // a liaison of another township
		return t.roundsRefuse(fmt.Sprintf("classify.step%d", c.Step), fmt.Sprintf("cycle:%d", c.ID), "rd.cl.denied.township")
	}
	return t.roundsRefuse(fmt.Sprintf("classify.step%d", c.Step), fmt.Sprintf("cycle:%d", c.ID), "rd.cl.denied",
		c.Step, t.tr(fmt.Sprintf("rd.cl.step%d", c.Step)), t.stepOwnerName(c.Step), t.senderName())
}

// villageByName finds a village as "村" (in the sender's township, or anywhere when unique)
// or "乡镇/村".
func (t *turn) villageByName(name string) (*store.Village, error) {
	twName, vName, ok := strings.Cut(name, "/")
	if !ok {
		twName, vName = "", name
	}
	tws, err := t.tx.Townships()
	if err != nil {
		return nil, err
	}
	var found []store.Village
	for _, tw := range tws {
		if twName != "" && tw.Name != twName {
			continue
		}
		if twName == "" && t.person != nil && t.person.TownshipID != 0 && tw.ID != t.person.TownshipID {
			continue
		}
		vs, err := t.tx.Villages(tw.ID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.Name == vName {
				found = append(found, v)
			}
		}
	}
	if len(found) != 1 {
		return nil, nil
	}
	return &found[0], nil
}

func (t *turn) startCycle(township string) error {
	tws, err := t.tx.Townships()
	if err != nil {
		return err
	}
	for _, tw := range tws {
		if tw.Name != township {
			continue
		}
		due := t.e.cfg.Calendar.AddWorkingDays(t.tx.Now(), ClassStepDays(store.ClassPropose))
		c, err := t.tx.StartClassCycle(tw.ID, due)
		if ok, err := t.proceed(err, store.ErrCycleOpen, "rd.cl.open"); !ok {
			return err
		}
		if err := t.audit("classify.start", fmt.Sprintf("cycle:%d", c.ID), tw.Name); err != nil {
			return err
		}
		if err := t.tellStepOwners(c, tw.Name); err != nil {
			return err
		}
		t.say(t.tr("rd.cl.started", tw.Name, t.formatDay(due)))
		return nil
	}
	t.say(t.tr("rd.cl.notownship", township))
	return nil
}

// tellStepOwners tells the people owning the cycle's current step that it is theirs.
func (t *turn) tellStepOwners(c *store.ClassCycle, township string) error {
	recips, err := ClassStepRecipients(t.tx, c)
	if err != nil {
		return err
	}
	for _, r := range recips {
		if r.ChatID == t.chat.ID {
			continue
		}
		msg := store.OutMessage{Text: T(r.Lang, "rd.cl.yourturn", township, T(r.Lang, fmt.Sprintf("rd.cl.step%d", c.Step)),
			c.DueAt.In(t.e.cfg.Location).Format("2006-01-02"))}
		if err := t.tell(r.ChatID, msg, fmt.Sprintf("classify:%d:%d:turn:%d", c.ID, c.Step, r.ChatID)); err != nil {
			return err
		}
	}
	return nil
}

// ClassStepRecipients are the chats of the people who own the cycle's current step: the
// township's liaisons for the proposal, else everyone of the step's role.
func ClassStepRecipients(tx *store.Tx, c *store.ClassCycle) ([]store.Recipient, error) {
	role := ClassStepRole(c.Step)
	if role == store.RoleLiaison {
		return tx.RecipientsOfRoles(c.TownshipID, role)
	}
	var ids []int64
	var err error
	if body := ClassStepBody(c.Step); body != "" {
		ids, err = tx.PeopleOfBody(body)
	} else {
		ids, err = tx.PeopleMatching(role, "")
	}
	if err != nil {
		return nil, err
	}
	var out []store.Recipient
	for _, id := range ids {
		rs, err := tx.ChatsOfPerson(id)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func (t *turn) showCycles() error {
	if t.person == nil {
		return t.roundsRefuse("classify", "classify", "rd.denied.staff")
	}
	cycles, err := t.tx.ClassCycles(false)
	if err != nil {
		return err
	}
	var b strings.Builder
	var rows [][]store.Button
	for _, c := range cycles {
		if t.role() == store.RoleLiaison && c.TownshipID != t.person.TownshipID {
			continue
		}
		tw, err := t.tx.FindTownship(c.TownshipID)
		if err != nil {
			return err
		}
		b.WriteString(t.tr("rd.cl.cycle", tw.Name, c.Step, t.tr(fmt.Sprintf("rd.cl.step%d", c.Step)),
			t.stepOwnerName(c.Step), t.formatDay(c.DueAt)))
		hist, err := t.tx.ClassHistory(c.ID)
		if err != nil {
			return err
		}
		latest := map[string]store.ClassEntry{}
		var order []string
		for _, h := range hist {
			if _, ok := latest[h.Village]; !ok {
				order = append(order, h.Village)
			}
			latest[h.Village] = h
		}
		for _, v := range order {
			h := latest[v]
			b.WriteString(t.tr("rd.cl.line", v, t.tr("rd.class."+h.Class), t.tr(fmt.Sprintf("rd.cl.step%d", h.Step)), h.Note))
		}
		if t.ownsClassStep(&c) {
			rows = append(rows, []store.Button{t.btn("rd.cl.advance", NewAction(VerbRounds, "cl", c.ID, c.Step).Data())})
		}
	}
	if b.Len() == 0 {
		t.say(t.tr("rd.cl.none"))
		return nil
	}
	t.say(b.String(), rows...)
	return nil
}

// advanceCycle closes the sender's step. The button carries the step it was shown for, so a
// second press (or a stale message) cannot skip the next role's step.
func (t *turn) advanceCycle(id int64, step int) error {
	c, err := t.tx.FindClassCycle(id)
	if ok, err := t.found(err, "button.expired"); !ok {
		return err
	}
	if c.Step != step || c.Step >= store.ClassApproved {
		t.say(t.tr("rd.cl.moved"))
		return nil
	}
	if !t.ownsClassStep(c) {
		return t.refuseClassStep(c)
	}
	next := t.e.cfg.Calendar.AddWorkingDays(t.tx.Now(), ClassStepDays(c.Step+1))
	err = t.tx.CloseClassStep(c, next, t.personID())
	if errors.Is(err, store.ErrNothingProposed) {
		t.say(t.tr("rd.cl.empty"))
		return nil
	}
	if errors.Is(err, store.ErrSameCloser) {
		return t.roundsRefuse(fmt.Sprintf("classify.step%d", step), fmt.Sprintf("cycle:%d", c.ID), "rd.cl.denied.twice")
	}
	if err != nil {
		return err
	}
	tw, err := t.tx.FindTownship(c.TownshipID)
	if err != nil {
		return err
	}
	if err := t.audit("classify.advance", fmt.Sprintf("cycle:%d", c.ID), fmt.Sprintf("step=%d", step)); err != nil {
		return err
	}
	if c.Step == store.ClassApproved {
		t.say(t.tr("rd.cl.approved", tw.Name))
		return nil
	}
	if err := t.tellStepOwners(c, tw.Name); err != nil {
		return err
	}
	t.say(t.tr("rd.cl.advanced", t.tr(fmt.Sprintf("rd.cl.step%d", c.Step)), t.stepOwnerName(c.Step), t.formatDay(c.DueAt)))
	return nil
}
