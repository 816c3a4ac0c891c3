// Meetings (反馈会/移交): notices, confirmations and hand-overs.

package handlers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"xuncha/store"
)

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
	var nobody []string // units named with no bound member
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
		if len(ids) == 0 && unit != "" {
			nobody = append(nobody, unit)
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
	text := t.tr("rd.mt.added", t.tr("rd.mt."+kind), t.formatDate(at), len(dedupe(people)))
	if len(nobody) > 0 {
		var names []string
		for _, u := range nobody {
			if err := MeetingUnanswered(t.tx, t.tell, t.ledger(), m, u, func() string { return t.formatDate(at) }, t.chat.ID); err != nil {
				return err
			}
			names = append(names, t.ledger().UnitName(u, t.lang))
		}
		text += t.tr("rd.mt.nobody", strings.Join(names, "、"))
	}
	t.say(text)
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
	if ok, err := t.found(err, "button.expired"); !ok {
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
	if ok, err := t.found(err, "button.expired"); !ok {
		return err
	}
	err = t.tx.HandOverFeedback(id, t.personID())
	if ok, err := t.proceed(err, store.ErrAlreadyHanded, "rd.mt.already"); !ok {
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
		err = t.tellEach(chats, fmt.Sprintf("handover:%d", id), func(lang string) (store.OutMessage, error) {
			return store.OutMessage{Text: T(lang, "rd.mt.received", m.Round)}, nil
		})
		if err != nil {
			return err
		}
	}
	t.say(t.tr("rd.mt.handedok", m.Round))
	return nil
}
