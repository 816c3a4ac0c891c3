package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"xuncha/store"
)

// Rounds and what hangs off them in chat: village classification (five steps, each owned by
// one role), pre-inspection briefings, meetings, rectification and the talent pool. Buttons
// carry ids ("rd:cl:3:2"); only free text (a briefing, a plan, a visit note) uses the
// conversation state. Every button and command re-checks the sender's role, and a refusal
// names who owns the step.
//
// Roles are the fixed list of 0001_init.sql. The leading group (领导小组) and the city
// committee (市委) act through administrators: a new role would need a new CHECK list, which a
// migration cannot change without rebuilding the people and invitations tables, and the
// admin role is already the one that approves.

const flowRounds = "rounds"

// Steps of the rounds flow that wait for text or files.
const (
	rdBrief    = "brief"
	rdPlan     = "plan"
	rdProgress = "progress"
	rdVisit    = "visit"
	rdWeak     = "weak"
)

// roundsDraft is what a rounds step remembers between messages.
type roundsDraft struct {
	RequestID int64  `json:"request_id,omitempty"`
	Org       string `json:"org,omitempty"`
	TaskID    int64  `json:"task_id,omitempty"`
}

// classStepDays are the working days each classification step is given.
var classStepDays = map[int]int{store.ClassPropose: 10, store.ClassResearch: 10, store.ClassOpinions: 5,
	store.ClassAdjust: 5, store.ClassApprove: 5}

// ClassStepDays returns the working days a classification step is given.
func ClassStepDays(step int) int { return classStepDays[step] }

// ClassStepRole returns the role that owns a classification step.
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

// ownsClassStep: the step's role, and for the township's proposal the liaison of that township.
func (t *turn) ownsClassStep(c *store.ClassCycle) bool {
	if t.person == nil || t.role() != ClassStepRole(c.Step) {
		return false
	}
	return c.Step != store.ClassPropose || t.person.TownshipID == c.TownshipID
}

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
		return t.showRounds(arg)
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
		return t.showBriefings(arg)
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

func (t *turn) showRounds(arg string) error {
	r, err := t.findRound(arg)
	if r == nil || err != nil {
		return err
	}
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

// --- village classification ---

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
	if errors.Is(err, store.ErrNotFound) {
		t.say(t.tr("rd.cl.nocycle"))
		return nil
	}
	if err != nil {
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
	if t.role() == ClassStepRole(c.Step) { // a liaison of another township
		return t.roundsRefuse(fmt.Sprintf("classify.step%d", c.Step), fmt.Sprintf("cycle:%d", c.ID), "rd.cl.denied.township")
	}
	return t.roundsRefuse(fmt.Sprintf("classify.step%d", c.Step), fmt.Sprintf("cycle:%d", c.ID), "rd.cl.denied",
		c.Step, t.tr(fmt.Sprintf("rd.cl.step%d", c.Step)), t.roleName(ClassStepRole(c.Step)), t.roleName(t.role()))
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
		if errors.Is(err, store.ErrCycleOpen) {
			t.say(t.tr("rd.cl.open"))
			return nil
		}
		if err != nil {
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
	ids, err := tx.PeopleMatching(role, "")
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
			t.roleName(ClassStepRole(c.Step)), t.formatDay(c.DueAt)))
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
	if errors.Is(err, store.ErrNotFound) {
		t.say(t.tr("button.expired"))
		return nil
	}
	if err != nil {
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
	err = t.tx.AdvanceClassCycle(c, next)
	if errors.Is(err, store.ErrNothingProposed) {
		t.say(t.tr("rd.cl.empty"))
		return nil
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
	t.say(t.tr("rd.cl.advanced", t.tr(fmt.Sprintf("rd.cl.step%d", c.Step)), t.roleName(ClassStepRole(c.Step)), t.formatDay(c.DueAt)))
	return nil
}

// --- briefings ---

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

func (t *turn) showBriefings(arg string) error {
	r, err := t.findRound(arg)
	if r == nil || err != nil {
		return err
	}
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

// --- meetings ---

// meetingKinds maps what an official may type to a meeting kind.
var meetingKinds = map[string]string{
	"mobilisation": store.MeetingMobilisation, "动员部署会": store.MeetingMobilisation, "动员": store.MeetingMobilisation,
	"stage": store.MeetingStage, "阶段汇报会": store.MeetingStage, "汇报": store.MeetingStage,
	"feedback": store.MeetingFeedback, "反馈会": store.MeetingFeedback, "反馈": store.MeetingFeedback,
}

// addMeeting answers "/meetings add 轮次 类型 2026-12-01T09:30 地点 参会人…", each attendee a
// role ("official") or a unit ("unit:市委组织部"). The scheduler sends the notice.
func (t *turn) addMeeting(arg string) error {
	fields := strings.Fields(arg)
	if len(fields) < 5 {
		t.say(t.tr("rd.mt.usage"))
		return nil
	}
	kind := meetingKinds[strings.ToLower(fields[1])]
	at, err := time.ParseInLocation("2006-01-02T15:04", fields[2], t.e.cfg.Location)
	if kind == "" || err != nil || !at.After(t.tx.Now()) {
		t.say(t.tr("rd.mt.usage"))
		return nil
	}
	r, err := t.findRound(fields[0])
	if err != nil || r == nil {
		return err
	}
	var people []int64
	for _, a := range fields[4:] {
		role, unit, _ := strings.Cut(a, ":")
		if !store.ValidRole(store.Role(role)) {
			t.say(t.tr("rd.mt.usage"))
			return nil
		}
		if unit != "" {
			unit = t.ledger().CanonicalUnit(unit)
		}
		ids, err := t.tx.PeopleMatching(store.Role(role), unit)
		if err != nil {
			return err
		}
		people = append(people, ids...)
	}
	m := &store.Meeting{RoundID: r.ID, Kind: kind, At: at, Place: fields[3]}
	if err := t.tx.CreateMeeting(m, people); err != nil {
		return err
	}
	if err := t.audit("meeting.add", fmt.Sprintf("meeting:%d", m.ID), kind); err != nil {
		return err
	}
	t.say(t.tr("rd.mt.added", t.tr("rd.mt."+kind), t.formatDate(at), len(dedupe(people))))
	return nil
}

func (t *turn) listMeetings() error {
	since := t.tx.Now().Add(-24 * time.Hour)
	var ms []store.Meeting
	var err error
	if t.isOfficial() {
		ms, err = t.tx.Meetings(since)
	} else {
		ms, err = t.tx.MeetingsOf(t.personID(), since)
	}
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		t.say(t.tr("rd.mt.none"))
		return nil
	}
	for _, m := range ms {
		att, err := t.tx.MeetingAttendees(m.ID)
		if err != nil {
			return err
		}
		confirmed, mine := 0, false
		for _, a := range att {
			if !a.ConfirmedAt.IsZero() {
				confirmed++
			}
			mine = mine || a.PersonID == t.personID()
		}
		text := t.tr("rd.mt.line", t.tr("rd.mt."+m.Kind), m.Round, t.formatDate(m.At), m.Place, confirmed, len(att))
		var rows [][]store.Button
		if mine {
			rows = append(rows, []store.Button{t.btn("rd.mt.confirm", NewAction(VerbRounds, "mc", m.ID).Data())})
		}
		if t.isOfficial() && m.Kind == store.MeetingFeedback {
			if m.HandedAt.IsZero() {
				rows = append(rows, []store.Button{t.btn("rd.mt.handover", NewAction(VerbRounds, "mh", m.ID).Data())})
			} else {
				text += t.tr("rd.mt.handed", t.formatDate(m.HandedAt))
			}
		}
		t.say(text, rows...)
	}
	return nil
}

func (t *turn) confirmMeeting(id int64) error {
	m, err := t.tx.FindMeeting(id)
	if errors.Is(err, store.ErrNotFound) {
		t.say(t.tr("button.expired"))
		return nil
	}
	if err != nil {
		return err
	}
	err = t.tx.ConfirmAttendance(id, t.personID())
	if errors.Is(err, store.ErrNotFound) {
		return t.roundsRefuse("meeting.confirm", fmt.Sprintf("meeting:%d", id), "rd.mt.notinvited")
	}
	if err != nil {
		return err
	}
	if err := t.audit("meeting.confirm", fmt.Sprintf("meeting:%d", id), ""); err != nil {
		return err
	}
	t.say(t.tr("rd.mt.confirmed", t.tr("rd.mt."+m.Kind), t.formatDate(m.At)))
	return nil
}

// handOver records that the feedback went to the commission and the organisation department,
// and tells their members.
func (t *turn) handOver(id int64) error {
	if !t.isOfficial() {
		return t.roundsRefuse("meeting.handover", fmt.Sprintf("meeting:%d", id), "rd.denied.official")
	}
	m, err := t.tx.FindMeeting(id)
	if errors.Is(err, store.ErrNotFound) {
		t.say(t.tr("button.expired"))
		return nil
	}
	if err != nil {
		return err
	}
	err = t.tx.HandOverFeedback(id, t.personID())
	if errors.Is(err, store.ErrAlreadyHanded) {
		t.say(t.tr("rd.mt.already"))
		return nil
	}
	if err != nil {
		return err
	}
	if err := t.audit("meeting.handover", fmt.Sprintf("meeting:%d", id), ""); err != nil {
		return err
	}
	for _, unit := range FeedbackReceivers {
		chats, err := t.unitChats(unit)
		if err != nil {
			return err
		}
		for _, c := range chats {
			lang, err := t.tx.ChatLang(c)
			if err != nil {
				return err
			}
			if err := t.tell(c, store.OutMessage{Text: T(lang, "rd.mt.received", m.Round)}, fmt.Sprintf("handover:%d:%d", id, c)); err != nil {
				return err
			}
		}
	}
	t.say(t.tr("rd.mt.handedok", m.Round))
	return nil
}

// FeedbackReceivers are the units a round's feedback is handed to: the commission (its case
// offices are the ledger's units) and the organisation department.
var FeedbackReceivers = []string{"case1", "org"}

// --- rectification ---

func (t *turn) listRect() error {
	var items []store.RectItem
	var err error
	if t.isUnit() {
		items, err = t.tx.RectItems(t.unitKey())
	} else {
		items, err = t.tx.RectItems()
	}
	if err != nil {
		return err
	}
	shown := 0
	for _, r := range items {
		if r.Status == "done" {
			continue
		}
		shown++
		text := t.tr("rd.rc.line", r.ID, t.tr("rd.rc."+r.Kind), r.Unit, r.Title, t.tr("rd.rc.st."+r.Status),
			t.formatDay(r.PlanDueAt), t.formatDay(r.DueAt))
		if !r.EscalatedAt.IsZero() {
			text += t.tr("rd.rc.escalated")
		}
		var rows [][]store.Button
		if t.isUnit() {
			rows = [][]store.Button{
				{t.btn("rd.rc.plan", NewAction(VerbRounds, "rp", r.ID).Data()), t.btn("rd.rc.progress", NewAction(VerbRounds, "rg", r.ID).Data())},
				{t.btn("rd.rc.templates", NewAction(VerbRounds, "rt", r.ID).Data())},
			}
		} else {
			rows = [][]store.Button{
				{t.btn("rd.rc.visit", NewAction(VerbRounds, "rv", r.ID).Data()), t.btn("rd.rc.weak", NewAction(VerbRounds, "rw", r.ID).Data())},
				{t.btn("rd.rc.done", NewAction(VerbRounds, "rd", r.ID).Data())},
			}
		}
		t.say(text, rows...)
	}
	if shown == 0 {
		t.say(t.tr("rd.rc.none"))
	}
	return nil
}

// rectFor returns the item when the sender may act on it: its unit's members, or officials.
func (t *turn) rectFor(id int64, unitSide bool) (*store.RectItem, error) {
	r, err := t.tx.FindRectItem(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if unitSide && (!t.isUnit() || r.Unit != t.unitKey()) {
		return nil, nil
	}
	if !unitSide && !t.isOfficial() {
		return nil, nil
	}
	return r, nil
}

func (t *turn) rectButton(verb string, id int64) error {
	unitSide := verb == "rp" || verb == "rg" || verb == "rt"
	r, err := t.rectFor(id, unitSide)
	if err != nil {
		return err
	}
	if r == nil {
		key := "rd.denied.official"
		if unitSide {
			key = "rd.rc.notyours"
		}
		return t.roundsRefuse("rectify."+verb, fmt.Sprintf("rect:%d", id), key)
	}
	switch verb {
	case "rt":
		return t.sendTemplates(r)
	case "rd":
		if err := t.tx.AddRectEvent(&store.RectEvent{TaskID: r.ID, Kind: "done", PersonID: t.personID()}); err != nil {
			return err
		}
		if err := t.audit("rectify.done", fmt.Sprintf("rect:%d", r.ID), ""); err != nil {
			return err
		}
		t.say(t.tr("rd.rc.closed", r.ID))
		return nil
	}
	step := map[string]string{"rp": rdPlan, "rg": rdProgress, "rv": rdVisit, "rw": rdWeak}[verb]
	t.reset()
	t.st.Rounds = &roundsDraft{TaskID: r.ID}
	t.set(flowRounds, step)
	t.say(t.tr("rd.rc.ask."+step, r.Title), []store.Button{t.btn("cancel", "x")})
	return nil
}

// sendTemplates sends the guidance and the document templates to the sender.
func (t *turn) sendTemplates(r *store.RectItem) error {
	msgs, err := RectificationMessages(t.tx, t.lang, r, t.e.cfg.Location)
	if err != nil {
		return err
	}
	if err := t.audit("rectify.templates", fmt.Sprintf("rect:%d", r.ID), ""); err != nil {
		return err
	}
	for i, m := range msgs {
		if i == 0 {
			t.say(m.Text)
			continue
		}
		t.out = append(t.out, Outgoing{ChatID: t.chat.ID, ToSender: true, OutMessage: m})
	}
	return nil
}

// rectText records a plan, a progress report, a site visit or a "perfunctory" finding.
func (t *turn) rectText(d *roundsDraft, text string, files []store.Attachment) error {
	unitSide := t.st.Step == rdPlan || t.st.Step == rdProgress
	r, err := t.rectFor(d.TaskID, unitSide)
	if err != nil {
		return err
	}
	step := t.st.Step
	t.reset()
	if r == nil {
		return t.roundsRefuse("rectify."+step, fmt.Sprintf("rect:%d", d.TaskID), "rd.rc.notyours")
	}
	kind := map[string]string{rdPlan: "plan", rdProgress: "progress", rdVisit: "visit", rdWeak: "perfunctory"}[step]
	e := &store.RectEvent{TaskID: r.ID, Kind: kind, Body: text, PersonID: t.personID()}
	if len(files) > 0 {
		e.FileSHA, e.FileName = files[0].SHA256, files[0].Name
	}
	if err := t.tx.AddRectEvent(e); err != nil {
		return err
	}
	if err := t.audit("rectify."+kind, fmt.Sprintf("rect:%d", r.ID), ""); err != nil {
		return err
	}
	if kind == "perfunctory" {
		// Perfunctory rectification is escalated at once, as lateness is by the scheduler.
		if err := EscalateRect(t.tx, r, "rd.rc.esc.weak", t.e.cfg.Location, t.tell); err != nil {
			return err
		}
	}
	if unitSide {
		recips, err := t.tx.RoundMemberRecipients(r.RoundID)
		if err != nil {
			return err
		}
		for _, rc := range recips {
			if err := t.tell(rc.ChatID, store.OutMessage{Text: T(rc.Lang, "rd.rc.arrived."+kind, r.Unit, r.Title)}, ""); err != nil {
				return err
			}
		}
	}
	t.say(t.tr("rd.rc.saved."+kind, r.ID))
	return nil
}

// EscalateRect records an escalation of a rectification item and tells the administrators
// (the leading group) and the inspection staff through enqueue (a step's tell, so the channels
// are woken; the scheduler's Enqueue).
func EscalateRect(tx *store.Tx, r *store.RectItem, key string, loc *time.Location,
	enqueue func(chatID int64, msg store.OutMessage, dedupeKey string) error) error {
	if !r.EscalatedAt.IsZero() {
		return nil
	}
	if err := tx.MarkRectItem(r.ID, "escalated"); err != nil {
		return err
	}
	if err := tx.AddRectEvent(&store.RectEvent{TaskID: r.ID, Kind: "escalated", Body: key}); err != nil {
		return err
	}
	recips, err := tx.RecipientsOfRoles(0, store.RoleAdmin, store.RoleOfficial)
	if err != nil {
		return err
	}
	for _, rc := range recips {
		msg := store.OutMessage{Text: T(rc.Lang, key, T(rc.Lang, "rd.rc."+r.Kind), r.Unit, r.Title,
			r.DueAt.In(loc).Format("2006-01-02"))}
		if err := enqueue(rc.ChatID, msg, fmt.Sprintf("rect:%d:escalated:%d", r.ID, rc.ChatID)); err != nil {
			return fmt.Errorf("enqueue escalation: %w", err)
		}
	}
	return nil
}

// RectificationMessages are the guidance and the two templates for an item, in lang; the
// templates' bytes are stored as blobs in tx so that the outbox can carry them.
func RectificationMessages(tx *store.Tx, lang string, r *store.RectItem, loc *time.Location) ([]store.OutMessage, error) {
	if err := PutTemplates(tx); err != nil {
		return nil, err
	}
	msgs := []store.OutMessage{{Text: T(lang, "rd.rc.guidance", T(lang, "rd.rc."+r.Kind), r.Title,
		r.PlanDueAt.In(loc).Format("2006-01-02"), r.DueAt.In(loc).Format("2006-01-02"))}}
	for _, f := range rectTemplates() {
		msgs = append(msgs, store.OutMessage{Text: f.Name, File: &f.Attachment})
	}
	return msgs, nil
}

// createRect answers "/rectify add 轮次 单位 问题" (a task of the inspected organisation) and
// "/suggest 轮次 部门 问题" (a suggestion to another department): the round by name or number,
// the unit by key or name. The scheduler sends the guidance and templates.
func (t *turn) createRect(kind, arg string) error {
	fields := strings.Fields(arg)
	if len(fields) < 3 {
		t.say(t.tr("rd.rc.usage." + kind))
		return nil
	}
	r, err := t.findRound(fields[0])
	if err != nil || r == nil {
		return err
	}
	unit := t.ledger().CanonicalUnit(fields[1])
	now := t.tx.Now()
	item := &store.RectItem{RoundID: r.ID, Kind: kind, Unit: unit, Title: strings.Join(fields[2:], " "),
		PlanDueAt: t.e.cfg.Calendar.AddWorkingDays(now, RectPlanDays), DueAt: now.AddDate(0, RectMonths, 0)}
	if err := t.tx.CreateRectItem(item); err != nil {
		return err
	}
	if err := t.audit("rectify."+kind, fmt.Sprintf("rect:%d", item.ID), unit); err != nil {
		return err
	}
	t.say(t.tr("rd.rc.created", t.tr("rd.rc."+kind), item.ID, unit, t.formatDay(item.PlanDueAt), t.formatDay(item.DueAt)))
	return nil
}

// RectPlanDays is how many working days an organisation has for its plan; RectMonths is the
// centralised rectification period (集中整改期), two months from the feedback in the source.
const (
	RectPlanDays = 10
	RectMonths   = 2
)

// --- talent pool ---

func (t *turn) listTalents(field string) error {
	ts, err := t.tx.Talents(strings.TrimSpace(field), t.tx.Now(), false)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		t.say(t.tr("rd.tl.none"))
		return nil
	}
	var b strings.Builder
	b.WriteString(t.tr("rd.tl.head"))
	for _, s := range ts {
		state := t.tr("rd.tl.free")
		if s.Busy != "" {
			state = t.tr("rd.tl.busy", s.Busy)
		}
		b.WriteString(t.tr("rd.tl.line", s.ID, s.Name, s.Field, s.Unit, state))
	}
	if err := t.audit("talents.read", "talents", field); err != nil {
		return err
	}
	t.say(b.String())
	return nil
}

// --- dispatch ---

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
