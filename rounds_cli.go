package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"xuncha/handlers"
	"xuncha/scheduler"
	"xuncha/store"
)

// Rounds and their workflows from the command line, for administrators: the same steps the
// chat offers to each role, audit-logged with channel "cli". An administrator at the console
// acts for the leading group and the city committee (roles are the fixed list of 0001).

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

// roundsEnv is what a rounds command runs with: its settings, and once it runs, the store,
// the ledger data and the working-day calendar.
type roundsEnv struct {
	*env
	ctx    context.Context
	c      common
	db     *store.DB
	ledger *handlers.Ledger
	cal    *scheduler.Calendar
	round  string // --round, for the commands that name one
}

// roundsFlags declares the settings every rounds command has (the store, the time zone) and
// extra ones, such as useLedger for the commands that name units.
func roundsFlags(fs *flag.FlagSet, extra uses) *roundsEnv {
	e := &roundsEnv{}
	e.c.register(fs, useDB|useTZ|extra)
	return e
}

// roundFlags is roundsFlags for a command that names a round with --round.
func roundFlags(fs *flag.FlagSet, extra uses) *roundsEnv {
	e := roundsFlags(fs, extra)
	fs.StringVar(&e.round, "round", "", "the round (name or number)")
	return e
}

// do returns the command's run: it opens the store, the ledger data and the calendar, runs fn
// and closes the store.
func (e *roundsEnv) do(fn func() error) runFunc {
	return func(ctx context.Context, en *env) error {
		e.env, e.ctx = en, ctx
		db, l, err := openLedger(ctx, &e.c, en.getenv, en.stderr)
		if err != nil {
			return err
		}
		defer db.Close()
		e.db, e.ledger = db, l
		if e.cal, err = loadCalendar(ctx, e.c.logger(en.stderr), db, e.c.loc); err != nil {
			return err
		}
		return fn()
	}
}

// inTx is do for a command that only reads or writes the store: fn runs in one transaction.
func (e *roundsEnv) inTx(fn func(*store.Tx) error) runFunc {
	return e.do(func() error { return e.update(fn) })
}

// inTownship is inTx for the classify commands that name a township: the township is found
// before the transaction.
func (e *roundsEnv) inTownship(township *string, fn func(tx *store.Tx, township string, tw int64) error) runFunc {
	return e.do(func() error {
		tw, err := e.township(*township)
		if err != nil {
			return err
		}
		return e.update(func(tx *store.Tx) error { return fn(tx, *township, tw) })
	})
}

// inRound is inTx for a command that names a round: fn gets the round, found in the
// transaction.
func (e *roundsEnv) inRound(fn func(tx *store.Tx, r *store.Round) error) runFunc {
	return e.do(func() error { return e.updateRound(fn) })
}

// updateRound is update with the round --round names.
func (e *roundsEnv) updateRound(fn func(tx *store.Tx, r *store.Round) error) error {
	return e.update(func(tx *store.Tx) error {
		r, err := tx.FindRound(e.round)
		if err != nil {
			return fmt.Errorf("--round %q: %w", e.round, err)
		}
		return fn(tx, r)
	})
}

func (e *roundsEnv) update(fn func(*store.Tx) error) error {
	if err := e.db.Update(e.ctx, fn); err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	return nil
}

func (e *roundsEnv) township(name string) (int64, error) {
	id, _, err := e.db.FindPlaceByName(e.ctx, name, "")
	if err != nil {
		return 0, fmt.Errorf("--township %q: %w", name, err)
	}
	return id, nil
}

func roundCreate(fs *flag.FlagSet) runFunc {
	var name, from, to, annFile, contact, publish string
	var groups, orgs, townships, villages list
	e := roundsFlags(fs, useLedger)
	fs.StringVar(&name, "name", "", "the round, e.g. 十五届市委第五轮巡察")
	fs.StringVar(&from, "from", "", "first day of the round")
	fs.StringVar(&to, "to", "", "last day of the round")
	fs.Var(&groups, "group", "an inspection group (repeatable)")
	fs.Var(&orgs, "org", "a party organisation inspected, as its members' invitations name their unit (repeatable)")
	fs.Var(&townships, "township", "a township covered with all its villages (repeatable)")
	fs.Var(&villages, "village", "one village covered, as TOWNSHIP/VILLAGE (repeatable)")
	fs.StringVar(&annFile, "announce-file", "", "file with the announcement text; the scheduler publishes it to the places' subscribers")
	fs.StringVar(&contact, "contact", "", "the announcement's channels and duty hours")
	fs.StringVar(&publish, "publish", "", "when to publish the announcement (default: the round's first day, 08:30)")
	return e.do(func() error {
		start, err1 := time.ParseInLocation("2006-01-02", from, e.c.loc)
		end, err2 := time.ParseInLocation("2006-01-02", to, e.c.loc)
		if name == "" || err1 != nil || err2 != nil {
			return fmt.Errorf("%s: --name, --from and --to (YYYY-MM-DD) are required", e.name)
		}
		// Without places the round is only a window for the ledger's statistics (what "round
		// add" recorded); an announcement needs places to reach.
		if annFile != "" && len(townships)+len(villages) == 0 {
			return fmt.Errorf("%s: --announce-file needs at least one --township or --village", e.name)
		}
		p := &store.RoundPlan{Round: store.Round{Name: name, StartsAt: start, EndsAt: end.AddDate(0, 0, 1)}, Groups: groups}
		for _, o := range orgs {
			p.Orgs = append(p.Orgs, e.ledger.CanonicalUnit(o))
		}
		for _, t := range townships {
			id, err := e.township(t)
			if err != nil {
				return err
			}
			p.TownshipIDs = append(p.TownshipIDs, id)
		}
		for _, v := range villages {
			tw, vn, _ := strings.Cut(v, "/")
			_, id, err := e.db.FindPlaceByName(e.ctx, tw, vn)
			if err != nil || id == 0 {
				return fmt.Errorf("--village %q: write TOWNSHIP/VILLAGE of a known village", v)
			}
			p.VillageIDs = append(p.VillageIDs, id)
		}
		if annFile != "" {
			body, err := readText("announce-file", annFile)
			if err != nil {
				return err
			}
			at := start.Add(8*time.Hour + 30*time.Minute)
			if publish != "" {
				if at, err = time.ParseInLocation(timeLayout, publish, e.c.loc); err != nil {
					return fmt.Errorf("--publish must look like %s", timeLayout)
				}
			}
			p.Announcement = &store.Announcement{Title: name, Body: strings.TrimSpace(string(body)), Contact: contact,
				PublishAt: at, OpenAt: at, CloseAt: p.EndsAt, RemindDays: 3}
		}
		err := e.update(func(tx *store.Tx) error {
			if err := tx.CreateRoundPlan(p); err != nil {
				return err
			}
			return tx.Audit(0, "cli", "round.create", fmt.Sprintf("round:%d", p.ID), name)
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "round %d %s: %s to %s\n", p.ID, name, from, to)
		if p.Announcement != nil {
			fmt.Fprintf(e.stdout, "announcement %d publishes at %s\n", p.Announcement.ID, p.Announcement.PublishAt.In(e.c.loc).Format(timeLayout))
		}
		return nil
	})
}

func roundMember(fs *flag.FlagSet) runFunc {
	var group string
	var person int64
	e := roundFlags(fs, 0)
	fs.StringVar(&group, "group", "", "the group")
	fs.Int64Var(&person, "person", 0, "the person (their number, as the audit log shows it)")
	return e.inRound(func(tx *store.Tx, r *store.Round) error {
		if err := tx.AddRoundMember(r.ID, group, person); err != nil {
			return fmt.Errorf("group %q, person %d: %w", group, person, err)
		}
		fmt.Fprintf(e.stdout, "person %d in %s of %s\n", person, group, r.Name)
		return tx.Audit(0, "cli", "round.member", fmt.Sprintf("round:%d", r.ID), fmt.Sprintf("%s person:%d", group, person))
	})
}

func roundShow(fs *flag.FlagSet) runFunc {
	e := roundFlags(fs, 0)
	return e.inRound(func(tx *store.Tx, r *store.Round) error {
		info, err := tx.RoundDetail(r.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "round %d %s: %s to %s\n", info.ID, info.Name, info.StartsAt.In(e.c.loc).Format("2006-01-02"),
			info.EndsAt.In(e.c.loc).AddDate(0, 0, -1).Format("2006-01-02"))
		for _, g := range info.Groups {
			fmt.Fprintf(e.stdout, "group %s: %d members\n", g.Name, len(g.Members))
		}
		for _, o := range info.Orgs {
			fmt.Fprintf(e.stdout, "org %s\n", o)
		}
		for _, p := range info.Places {
			fmt.Fprintf(e.stdout, "place %s/%s %s\n", p.Township, p.Village, p.Mode)
		}
		return tx.Audit(0, "cli", "rounds.read", fmt.Sprintf("round:%d", r.ID), "")
	})
}

func classifyFlags(fs *flag.FlagSet, township *string) *roundsEnv {
	e := roundsFlags(fs, 0)
	fs.StringVar(township, "township", "", "the township")
	return e
}

func classifyStart(fs *flag.FlagSet) runFunc {
	var township string
	e := classifyFlags(fs, &township)
	return e.inTownship(&township, func(tx *store.Tx, township string, tw int64) error {
		due := e.cal.AddWorkingDays(tx.Now(), handlers.ClassStepDays(store.ClassPropose))
		c, err := tx.StartClassCycle(tw, due)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "classification %d of %s: step 1 due %s\n", c.ID, township, due.In(e.c.loc).Format("2006-01-02"))
		return tx.Audit(0, "cli", "classify.start", fmt.Sprintf("cycle:%d", c.ID), township)
	})
}

// classifyRecord records a class at the current step. From the console an administrator may
// record any step: the chat is where each role is held to its own.
func classifyRecord(fs *flag.FlagSet) runFunc {
	var township, village, class, note string
	e := classifyFlags(fs, &township)
	fs.StringVar(&village, "village", "", "the village")
	fs.StringVar(&class, "class", "", "key (重点村) or general (一般村)")
	fs.StringVar(&note, "note", "", "the key indicators or the reason")
	return e.do(func() error {
		tw, v, err := e.db.FindPlaceByName(e.ctx, township, village)
		if err != nil || v == 0 {
			return fmt.Errorf("classify record: no village %q in %q", village, township)
		}
		return e.update(func(tx *store.Tx) error {
			c, err := tx.OpenClassCycle(tw)
			if err != nil {
				return fmt.Errorf("no classification under way: %w", err)
			}
			if err := tx.RecordClass(c, v, class, note, 0); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "step %d: %s %s\n", c.Step, village, class)
			return tx.Audit(0, "cli", "classify.record", fmt.Sprintf("village:%d", v), fmt.Sprintf("step=%d class=%s", c.Step, class))
		})
	})
}

func classifyAdvance(fs *flag.FlagSet) runFunc {
	var township string
	e := classifyFlags(fs, &township)
	return e.inTownship(&township, func(tx *store.Tx, township string, tw int64) error {
		c, err := tx.OpenClassCycle(tw)
		if err != nil {
			return fmt.Errorf("no classification under way: %w", err)
		}
		step := c.Step
		if err := tx.CloseClassStep(c, e.cal.AddWorkingDays(tx.Now(), handlers.ClassStepDays(c.Step+1)), 0); err != nil {
			return err
		}
		if c.Step == store.ClassApproved {
			fmt.Fprintf(e.stdout, "classification of %s approved\n", township)
		} else {
			fmt.Fprintf(e.stdout, "step %d done; step %d (%s) due %s\n", step, c.Step, handlers.ClassStepRole(c.Step), c.DueAt.In(e.c.loc).Format("2006-01-02"))
		}
		return tx.Audit(0, "cli", "classify.advance", fmt.Sprintf("cycle:%d", c.ID), fmt.Sprintf("step=%d", step))
	})
}

func classifyShow(fs *flag.FlagSet) runFunc {
	var township string
	e := classifyFlags(fs, &township)
	return e.inTownship(&township, func(tx *store.Tx, township string, tw int64) error {
		cycles, err := tx.ClassCycles(true)
		if err != nil {
			return err
		}
		var t table
		t.row("cycle", "step", "village", "class", "note", "at")
		for _, c := range cycles {
			if c.TownshipID != tw {
				continue
			}
			hist, err := tx.ClassHistory(c.ID)
			if err != nil {
				return err
			}
			for _, h := range hist {
				t.row(strconv.FormatInt(c.ID, 10), strconv.Itoa(h.Step), h.Village, h.Class, h.Note, h.At.In(e.c.loc).Format(timeLayout))
			}
			state := fmt.Sprintf("at step %d, due %s", c.Step, c.DueAt.In(e.c.loc).Format("2006-01-02"))
			if !c.ApprovedAt.IsZero() {
				state = "approved " + c.ApprovedAt.In(e.c.loc).Format("2006-01-02")
			}
			t.row(strconv.FormatInt(c.ID, 10), state)
		}
		return t.write(e.stdout)
	})
}

func briefingRequest(fs *flag.FlagSet) runFunc {
	var units list
	var days int
	e := roundFlags(fs, useLedger)
	fs.Var(&units, "unit", "a department asked (key or name, repeatable)")
	fs.IntVar(&days, "days", 5, "working days to answer")
	return e.do(func() error {
		if len(units) == 0 || days < 1 {
			return errors.New("briefing request: at least one --unit and --days of 1 or more are required")
		}
		for i, u := range units {
			units[i] = e.ledger.CanonicalUnit(u)
		}
		return e.updateRound(func(tx *store.Tx, r *store.Round) error {
			due := e.cal.AddWorkingDays(tx.Now(), days)
			if err := tx.RequestBriefings(r.ID, units, due); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "briefings of %s requested from %d units, due %s\n", r.Name, len(units), due.In(e.c.loc).Format("2006-01-02"))
			return tx.Audit(0, "cli", "briefing.request", fmt.Sprintf("round:%d", r.ID), strings.Join(units, ","))
		})
	})
}

func briefingShow(fs *flag.FlagSet) runFunc {
	e := roundFlags(fs, 0)
	return e.inRound(func(tx *store.Tx, r *store.Round) error {
		reqs, err := tx.BriefingRequests(r.ID)
		if err != nil {
			return err
		}
		for _, q := range reqs {
			state := "pending"
			if !q.DoneAt.IsZero() {
				state = "complete"
			} else if !q.NudgedAt.IsZero() {
				state = "late, nudged"
			}
			fmt.Fprintf(e.stdout, "request %s due %s: %s\n", q.Unit, q.DueAt.In(e.c.loc).Format("2006-01-02"), state)
		}
		bs, err := tx.Briefings(r.ID)
		if err != nil {
			return err
		}
		for _, b := range bs {
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\n", b.Org, b.Unit, b.Body, b.FileName)
		}
		return tx.Audit(0, "cli", "briefing.read", fmt.Sprintf("round:%d", r.ID), "")
	})
}

func meetingAdd(fs *flag.FlagSet) runFunc {
	var kind, at, place string
	var attendees list
	e := roundFlags(fs, useLedger)
	fs.StringVar(&kind, "kind", "", "mobilisation (动员部署会), stage (阶段汇报会) or feedback (反馈会)")
	fs.StringVar(&at, "at", "", "when, e.g. 2026-12-01T09:00")
	fs.StringVar(&place, "place", "", "where")
	fs.Var(&attendees, "attendee", "who: a role, or unit:NAME for the members of a unit (repeatable)")
	return e.do(func() error {
		when, err := time.ParseInLocation(timeLayout, at, e.c.loc)
		if err != nil {
			return fmt.Errorf("--at must look like %s", timeLayout)
		}
		return e.updateRound(func(tx *store.Tx, r *store.Round) error {
			var people []int64
			var nobody []string
			for _, a := range attendees {
				role, unit, _ := strings.Cut(a, ":")
				if role == "unit" && unit != "" {
					unit = e.ledger.CanonicalUnit(unit)
				}
				if !store.ValidRole(store.Role(role)) {
					return fmt.Errorf("--attendee %q: not a role", a)
				}
				ids, err := tx.PeopleMatching(store.Role(role), unit)
				if err != nil {
					return err
				}
				if len(ids) == 0 && unit != "" {
					nobody = append(nobody, unit)
				}
				people = append(people, ids...)
			}
			m := &store.Meeting{RoundID: r.ID, Kind: kind, At: when, Place: place}
			if err := tx.CreateMeeting(m, people); err != nil {
				return err
			}
			// A unit with nobody bound would get no notice, silently: the office is told.
			for _, u := range nobody {
				fmt.Fprintf(e.stdout, "warning: nobody of %s is bound: nobody receives the notice (the inspection office is told)\n", u)
				if err := handlers.MeetingUnanswered(tx, nil, e.ledger, m, u, func() string { return when.Format("2006-01-02 15:04") }, 0); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "meeting %d (%s) of %s: %d attendees; the notice goes out with the next scheduler run\n", m.ID, kind, r.Name, len(people))
			return tx.Audit(0, "cli", "meeting.add", fmt.Sprintf("meeting:%d", m.ID), kind)
		})
	})
}

func meetingHandover(fs *flag.FlagSet) runFunc {
	var id int64
	e := roundsFlags(fs, 0)
	fs.Int64Var(&id, "id", 0, "the feedback meeting")
	return e.inTx(func(tx *store.Tx) error {
		if err := tx.HandOverFeedback(id, 0); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "meeting %d: feedback handed to the commission and the organisation department\n", id)
		return tx.Audit(0, "cli", "meeting.handover", fmt.Sprintf("meeting:%d", id), "")
	})
}

func meetingList(fs *flag.FlagSet) runFunc {
	e := roundsFlags(fs, 0)
	return e.inTx(func(tx *store.Tx) error {
		ms, err := tx.Meetings(time.Time{})
		if err != nil {
			return err
		}
		for _, m := range ms {
			att, err := tx.MeetingAttendees(m.ID)
			if err != nil {
				return err
			}
			confirmed := 0
			for _, a := range att {
				if !a.ConfirmedAt.IsZero() {
					confirmed++
				}
			}
			handed := ""
			if !m.HandedAt.IsZero() {
				handed = " feedback handed over " + m.HandedAt.In(e.c.loc).Format(timeLayout)
			}
			fmt.Fprintf(e.stdout, "meeting %d %s %s %s: %d/%d confirmed%s\n", m.ID, m.Round, m.Kind,
				m.At.In(e.c.loc).Format(timeLayout), confirmed, len(att), handed)
		}
		return nil
	})
}

func rectifyAdd(fs *flag.FlagSet) runFunc {
	var unit, title string
	var planDays, months int
	e := roundFlags(fs, useLedger)
	fs.StringVar(&unit, "unit", "", "the inspected organisation (task) or the department (suggestion)")
	fs.StringVar(&title, "title", "", "the problem to rectify")
	fs.IntVar(&planDays, "plan-days", handlers.RectPlanDays, "working days for the rectification plan")
	fs.IntVar(&months, "months", handlers.RectMonths, "months of the centralised rectification period")
	return e.do(func() error {
		if unit == "" || title == "" || planDays < 1 || months < 1 {
			return errors.New(e.name + ": --unit and --title are required")
		}
		kind := store.RectTask
		if strings.HasSuffix(e.name, "suggest") {
			kind = store.RectSuggestion
		}
		return e.updateRound(func(tx *store.Tx, r *store.Round) error {
			now := tx.Now()
			item := &store.RectItem{RoundID: r.ID, Kind: kind, Unit: e.ledger.CanonicalUnit(unit), Title: title,
				PlanDueAt: e.cal.AddWorkingDays(now, planDays), DueAt: now.AddDate(0, months, 0)}
			if err := tx.CreateRectItem(item); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %d for %s: plan due %s, period ends %s\n", kind, item.ID, item.Unit,
				item.PlanDueAt.In(e.c.loc).Format("2006-01-02"), item.DueAt.In(e.c.loc).Format("2006-01-02"))
			return tx.Audit(0, "cli", "rectify."+kind, fmt.Sprintf("rect:%d", item.ID), item.Unit)
		})
	})
}

func rectifyList(fs *flag.FlagSet) runFunc {
	e := roundsFlags(fs, 0)
	return e.inTx(func(tx *store.Tx) error {
		items, err := tx.RectItems()
		if err != nil {
			return err
		}
		var t table
		t.row("id", "kind", "unit", "title", "status", "plan due", "due", "escalated", "events")
		for _, r := range items {
			evs, err := tx.RectEvents(r.ID)
			if err != nil {
				return err
			}
			var kinds []string
			for _, ev := range evs {
				kinds = append(kinds, ev.Kind)
			}
			esc := ""
			if !r.EscalatedAt.IsZero() {
				esc = r.EscalatedAt.In(e.c.loc).Format("2006-01-02")
			}
			t.row(strconv.FormatInt(r.ID, 10), r.Kind, r.Unit, r.Title, r.Status,
				r.PlanDueAt.In(e.c.loc).Format("2006-01-02"), r.DueAt.In(e.c.loc).Format("2006-01-02"), esc, strings.Join(kinds, ","))
		}
		return t.write(e.stdout)
	})
}

func talentAdd(fs *flag.FlagSet) runFunc {
	var name, field, unit string
	e := roundsFlags(fs, 0)
	fs.StringVar(&name, "name", "", "the specialist's name")
	fs.StringVar(&field, "field", "", "the field, e.g. 纪检监察, 财务审计, 农业农村")
	fs.StringVar(&unit, "unit", "", "where the specialist works")
	return e.do(func() error {
		if name == "" || field == "" {
			return errors.New("talent add: --name and --field are required")
		}
		return e.update(func(tx *store.Tx) error {
			t := &store.Talent{Name: name, Field: field, Unit: unit}
			if err := tx.AddTalent(t); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "talent %d %s (%s)\n", t.ID, name, field)
			return tx.Audit(0, "cli", "talent.add", fmt.Sprintf("talent:%d", t.ID), field)
		})
	})
}

func talentList(fs *flag.FlagSet) runFunc {
	var field, on string
	var free bool
	e := roundsFlags(fs, 0)
	fs.StringVar(&field, "field", "", "only this field")
	fs.BoolVar(&free, "free", false, "only those not assigned to a round under way")
	fs.StringVar(&on, "on", "", "availability on this day (default: now)")
	return e.inTx(func(tx *store.Tx) error {
		at := tx.Now()
		if on != "" {
			d, err := time.ParseInLocation("2006-01-02", on, e.c.loc)
			if err != nil {
				return fmt.Errorf("--on must be a date like 2026-12-01")
			}
			at = d.Add(12 * time.Hour)
		}
		ts, err := tx.Talents(field, at, free)
		if err != nil {
			return err
		}
		var tb table
		tb.row("id", "name", "field", "unit", "state")
		for _, t := range ts {
			state := "available"
			if t.Busy != "" {
				state = "assigned to " + t.Busy
			}
			tb.row(strconv.FormatInt(t.ID, 10), t.Name, t.Field, t.Unit, state)
		}
		if err := tb.write(e.stdout); err != nil {
			return err
		}
		return tx.Audit(0, "cli", "talents.read", "talents", field)
	})
}

func talentAssign(fs *flag.FlagSet) runFunc {
	var group, talent string
	e := roundFlags(fs, 0)
	fs.StringVar(&talent, "talent", "", "the specialist's number")
	fs.StringVar(&group, "group", "", "the group")
	return e.do(func() error {
		id, err := strconv.ParseInt(talent, 10, 64)
		if err != nil {
			return errors.New("talent assign: --talent must be a number")
		}
		return e.updateRound(func(tx *store.Tx, r *store.Round) error {
			if err := tx.AssignTalent(id, r.ID, group); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "talent %d assigned to %s %s\n", id, r.Name, group)
			return tx.Audit(0, "cli", "talent.assign", fmt.Sprintf("talent:%d", id), r.Name)
		})
	})
}
