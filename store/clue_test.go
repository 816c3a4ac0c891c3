package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// mustClue registers c and returns it.
func mustClue(tb testing.TB, db *DB, c *Clue) *Clue {
	tb.Helper()
	mustUpdate(tb, db, func(tx *Tx) error {
		_, err := tx.CreateClue(c)
		return err
	})
	return c
}

func TestCreateClueNumbers(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	a := mustClue(t, db, &Clue{Source: ClueFromInspection, Summary: "a"})
	b := mustClue(t, db, &Clue{Source: ClueFromInspection, Summary: "b"})
	next := mustClue(t, db, &Clue{Source: ClueFromInspection, Summary: "c", ReceivedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)})
	if a.Number != "JH-2025-0001" || b.Number != "JH-2025-0002" || next.Number != "JH-2026-0001" {
		t.Errorf("numbers %s %s %s", a.Number, b.Number, next.Number)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		c, err := tx.FindClueByNumber(" jh-2025-0002 ")
		if err != nil || c.ID != b.ID || c.Status != ClueNew {
			t.Errorf("find by number: %+v %v", c, err)
		}
		if _, err := tx.FindClueByNumber("JH-2025-0099"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown number: %v", err)
		}
		events, err := tx.ClueEvents(a.ID)
		if err != nil || len(events) != 1 || events[0].Kind != "registered" {
			t.Errorf("events %+v %v", events, err)
		}
		return nil
	})
}

func TestNormalizeSubject(t *testing.T) {
	for _, tc := range [][2]string{
		{"东风村 村委会主任 王某", "东风村村委会主任王某"},
		{"东风村村委会主任王某。", "东风村村委会主任王某"},
		{"ＡＢＣ公司（分公司）", "abc公司分公司"},
		{"  ", ""},
	} {
		if got := NormalizeSubject(tc[0]); got != tc[1] {
			t.Errorf("NormalizeSubject(%q) = %q, want %q", tc[0], got, tc[1])
		}
	}
}

// TestClueRepeat: a clue naming the same subject is linked to the earlier ones, and a held
// clue among them is re-activated.
func TestClueRepeat(t *testing.T) {
	db := MustOpenDB(t)
	first := mustClue(t, db, &Clue{Source: ClueFromInspection, Subject: "东风村 村委会主任 王某"})
	held := ClueHeld
	mustUpdate(t, db, func(tx *Tx) error { return tx.UpdateClue(first.ID, ClueUpdate{Status: &held}) })
	other := mustClue(t, db, &Clue{Source: ClueFromInspection, Subject: "胜利村会计"})
	var reactivated []*Clue
	second := &Clue{Source: ClueFromInspection, Subject: "东风村村委会主任王某。"}
	mustUpdate(t, db, func(tx *Tx) (err error) {
		reactivated, err = tx.CreateClue(second)
		return err
	})
	if strings.Join(second.Linked, ",") != first.Number {
		t.Errorf("linked %v, want %s", second.Linked, first.Number)
	}
	if len(reactivated) != 1 || reactivated[0].ID != first.ID {
		t.Errorf("reactivated %+v", reactivated)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		c, err := tx.FindClue(first.ID)
		if err != nil || c.Status != ClueNew {
			t.Errorf("held clue not re-activated: %+v %v", c, err)
		}
		for id, want := range map[int64]string{first.ID: second.Number, second.ID: first.Number, other.ID: ""} {
			links, err := tx.ClueLinks(id)
			if err != nil || strings.Join(links, ",") != want {
				t.Errorf("links of %d = %v (%v), want %q", id, links, err, want)
			}
		}
		return nil
	})
}

// TestClueRepeatScope: the same subject in another village is another person and is not a
// repeat; a subject reported many times links each new clue to the newest earlier ones and to
// every held one, so the links grow with the clues, not with their square.
func TestClueRepeatScope(t *testing.T) {
	db := MustOpenDB(t)
	if _, err := db.ImportPlaces(t.Context(), []PlaceRow{{Township: "新站镇", Village: "东风村", Class: "key"}, {Township: "新站镇", Village: "胜利村", Class: "general"}}); err != nil {
		t.Fatal(err)
	}
	var dongfeng, shengli int64
	mustUpdate(t, db, func(tx *Tx) error {
		if err := tx.queryRow(`SELECT id FROM villages WHERE name = '东风村'`).Scan(&dongfeng); err != nil {
			return err
		}
		return tx.queryRow(`SELECT id FROM villages WHERE name = '胜利村'`).Scan(&shengli)
	})
	first := mustClue(t, db, &Clue{Source: ClueFromInspection, Subject: "村会计", VillageID: dongfeng})
	held := ClueHeld
	mustUpdate(t, db, func(tx *Tx) error { return tx.UpdateClue(first.ID, ClueUpdate{Status: &held}) })
	elsewhere := mustClue(t, db, &Clue{Source: ClueFromInspection, Subject: "村会计", VillageID: shengli})
	if len(elsewhere.Linked) != 0 {
		t.Errorf("村会计 of 胜利村 linked to %v (东风村's)", elsewhere.Linked)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		if c, err := tx.FindClue(first.ID); err != nil || c.Status != ClueHeld {
			t.Errorf("东风村's held clue re-activated by 胜利村's: %+v %v", c, err)
		}
		return nil
	})
	unplaced := mustClue(t, db, &Clue{Source: ClueFromInspection, Subject: "村会计"})
	if len(unplaced.Linked) != 2 {
		t.Errorf("a clue without a village linked to %v; want both earlier ones", unplaced.Linked)
	}
	for range 2 * maxRepeatLinks {
		mustClue(t, db, &Clue{Source: ClueFromInspection, Subject: "村会计", VillageID: dongfeng})
	}
	mustUpdate(t, db, func(tx *Tx) error { return tx.UpdateClue(first.ID, ClueUpdate{Status: &held}) })
	last := mustClue(t, db, &Clue{Source: ClueFromInspection, Subject: "村会计", VillageID: dongfeng})
	if len(last.Linked) != maxRepeatLinks+1 || last.Linked[0] != first.Number {
		t.Errorf("the last repeat linked to %d clues starting %v; want the held one and the newest %d", len(last.Linked), last.Linked[:1], maxRepeatLinks)
	}
	var links int
	mustUpdate(t, db, func(tx *Tx) error { return tx.queryRow(`SELECT COUNT(*) FROM clue_links`).Scan(&links) })
	if clues := 2*maxRepeatLinks + 4; links > clues*(maxRepeatLinks+1) {
		t.Errorf("%d links for %d clues", links, clues)
	}
}

func TestClueEventsAppendOnly(t *testing.T) {
	db := MustOpenDB(t)
	c := mustClue(t, db, &Clue{Source: ClueFromInspection})
	for _, q := range []string{`UPDATE clue_events SET body = 'x'`, `DELETE FROM clue_events`, `UPDATE audit SET detail = 'x'`, `DELETE FROM audit`} {
		mustUpdate(t, db, func(tx *Tx) error { return tx.Audit(0, "test", "x", "", "") })
		err := db.Update(context.Background(), func(tx *Tx) error {
			_, err := tx.exec(q)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
	mustUpdate(t, db, func(tx *Tx) error {
		events, err := tx.ClueEvents(c.ID)
		if err != nil || len(events) != 1 {
			t.Errorf("events %+v %v", events, err)
		}
		return nil
	})
}

// TestLedgerStatsSeedRound loads a round shaped like the source document's (2024, the 15th city
// committee's 5th round): 24 clues transferred while inspecting, 11 cases filed, 11 people given
// party/government discipline, 12 given organisational handling — and clues outside the round
// that must not count.
func TestLedgerStatsSeedRound(t *testing.T) {
	db := MustOpenDB(t)
	loc := time.FixedZone("CST", 8*3600)
	start := time.Date(2024, 4, 8, 0, 0, 0, 0, loc)
	round := &Round{Name: "十五届市委第五轮巡察", StartsAt: start, EndsAt: start.AddDate(0, 0, 40)}
	mustUpdate(t, db, func(tx *Tx) error { return tx.CreateRound(round) })

	// Per transferred clue: case filed, people disciplined, people organisationally handled.
	disciplined := []int{2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}                           // 11 filed cases, 11 people
	handled := []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1} // 12 people
	disposals := []string{"case", "verify", "talk"}
	clock := setClock(db, start.Add(24*time.Hour))
	for i := range 30 {
		clock.advance(time.Hour)
		c := mustClue(t, db, &Clue{Source: ClueFromReport, Subject: "对象" + string(rune('A'+i)), ReceivedAt: clock.now.In(loc)})
		if c.RoundID != round.ID {
			t.Fatalf("clue %s not in the round: %d", c.Number, c.RoundID)
		}
		u := ClueUpdate{}
		if i < 24 {
			unit, while, d, form := "case1", true, disposals[i%3], 1+i%4
			u = ClueUpdate{Unit: &unit, WhileInspecting: &while, Disposal: &d, Form: &form}
			if i < len(disciplined) {
				filed := true
				u.CaseFiled, u.Disciplined = &filed, &disciplined[i]
			}
			if i < len(handled) {
				u.OrgHandled = &handled[i]
			}
		} else {
			d := "hold"
			u.Disposal = &d // held: studied, not transferred
		}
		mustUpdate(t, db, func(tx *Tx) error { return tx.UpdateClue(c.ID, u) })
	}
	// Before the round: a transferred clue with a case, which must not count in the round.
	clock.now = start.AddDate(0, -2, 0)
	early := mustClue(t, db, &Clue{Source: ClueFromInspection, ReceivedAt: clock.now.In(loc)})
	unit, filed, n := "org", true, 3
	mustUpdate(t, db, func(tx *Tx) error {
		return tx.UpdateClue(early.ID, ClueUpdate{Unit: &unit, CaseFiled: &filed, Disciplined: &n, OrgHandled: &n})
	})

	s := mustGet(t, db, func(tx *Tx) (LedgerStats, error) { return tx.Stats(ClueFilter{RoundID: round.ID}) })
	if s.Received != 30 || s.WhileInspecting != 24 || s.Transferred != 24 || s.CasesFiled != 11 || s.Disciplined != 11 || s.OrgHandled != 12 {
		t.Errorf("round stats %+v, want 30 received, 24 transferred while inspecting, 11 filed, 11 disciplined, 12 handled", s)
	}
	if s.Disposals["case"] != 8 || s.Disposals["verify"] != 8 || s.Disposals["talk"] != 8 || s.Disposals["hold"] != 6 {
		t.Errorf("disposals %v", s.Disposals)
	}
	if s.Forms[1]+s.Forms[2]+s.Forms[3]+s.Forms[4] != 24 || s.Forms[1] != 6 {
		t.Errorf("forms %v", s.Forms)
	}
	// The same by period; and everything, with the early clue.
	mustUpdate(t, db, func(tx *Tx) (err error) {
		if s, err = tx.Stats(ClueFilter{From: start, To: round.EndsAt}); err != nil {
			return err
		}
		if s.WhileInspecting != 24 || s.CasesFiled != 11 || s.Disciplined != 11 || s.OrgHandled != 12 {
			t.Errorf("period stats %+v", s)
		}
		if s, err = tx.Stats(ClueFilter{}); err != nil {
			return err
		}
		if s.Received != 31 || s.Transferred != 25 || s.WhileInspecting != 24 || s.CasesFiled != 12 || s.Disciplined != 14 {
			t.Errorf("all stats %+v", s)
		}
		return nil
	})
}

// TestEnqueueToReporter: the reporter is reached through the sealed link without the caller
// ever holding the chat id; a reporter who kept no link is not reached.
func TestEnqueueToReporter(t *testing.T) {
	db := MustOpenDB(t)
	chat, other, linked, nolink := mustLinkedReports(t, db)
	named := &Report{Category: "x", Description: "d", Contact: &Contact{Name: "张三", Phone: "13900000000"}, ReporterChat: chat}
	mustReport(t, db, named, nil)

	mustUpdate(t, db, func(tx *Tx) error {
		for _, tc := range []struct {
			id   int64
			want bool
		}{{linked.ID, true}, {nolink.ID, false}} {
			ok, err := tx.EnqueueToReporter(tc.id, OutMessage{Text: "q"}, "k"+string(rune('0'+tc.id)))
			if err != nil || ok != tc.want {
				t.Errorf("report %d: %v %v", tc.id, ok, err)
			}
			is, err := tx.IsReporterChat(tc.id, chat)
			if err != nil || is != tc.want {
				t.Errorf("IsReporterChat(%d) = %v %v", tc.id, is, err)
			}
			if is, _ := tx.IsReporterChat(tc.id, other); is {
				t.Errorf("another chat passes as the reporter of %d", tc.id)
			}
		}
		if _, err := tx.ReporterContact(linked.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("contact of an anonymous report: %v", err)
		}
		c, err := tx.ReporterContact(named.ID)
		if err != nil || c.Name != "张三" {
			t.Errorf("contact %+v %v", c, err)
		}
		for _, st := range []string{StatusAccepted, StatusAccepted} {
			if _, err := tx.SetReportStatus(linked.ID, st); err != nil {
				return err
			}
		}
		events, err := tx.ReportEvents(linked.ID, true)
		if err != nil || len(events) != 2 || events[1].Kind != StatusAccepted {
			t.Errorf("milestone events %+v %v", events, err)
		}
		return nil
	})
	box, err := db.Mailbox(context.Background(), chat, 0, 10)
	if err != nil || len(box) != 1 || box[0].Message.Text != "q" {
		t.Errorf("reporter's mailbox %+v %v", box, err)
	}
}

func TestQuestions(t *testing.T) {
	db := MustOpenDB(t)
	p, _ := mustPerson(t, db, "official", RoleOfficial, 0, 0)
	r := &Report{Category: "x", Description: "d", Anonymous: true}
	mustReport(t, db, r, nil)
	c := mustClue(t, db, &Clue{ReportID: r.ID})
	q := &Question{ClueID: c.ID, AskedBy: p.ID, Body: "什么时候？"}
	mustUpdate(t, db, func(tx *Tx) error {
		if err := tx.CreateQuestion(q, false); err != nil {
			return err
		}
		if qs, _ := tx.PendingQuestions(r.ID); len(qs) != 0 {
			t.Errorf("an unrelayed question is shown to the reporter: %+v", qs)
		}
		if ok, _ := tx.AnswerQuestion(q.ID, "early"); ok {
			t.Error("an unrelayed question was answered")
		}
		if ok, err := tx.RelayQuestion(q.ID, p.ID); !ok || err != nil {
			t.Errorf("relay: %v %v", ok, err)
		}
		if ok, _ := tx.RelayQuestion(q.ID, p.ID); ok {
			t.Error("relayed twice")
		}
		qs, err := tx.PendingQuestions(r.ID)
		if err != nil || len(qs) != 1 || qs[0].Body != q.Body {
			t.Errorf("pending %+v %v", qs, err)
		}
		if ok, err := tx.AnswerQuestion(q.ID, "三月"); !ok || err != nil {
			t.Errorf("answer: %v %v", ok, err)
		}
		if ok, _ := tx.AnswerQuestion(q.ID, "again"); ok {
			t.Error("answered twice")
		}
		got, err := tx.FindQuestion(q.ID)
		if err != nil || got.Answer != "三月" || got.AnsweredAt.IsZero() {
			t.Errorf("question %+v %v", got, err)
		}
		qs, _ = tx.PendingQuestions(r.ID)
		if len(qs) != 0 {
			t.Errorf("answered question still pending")
		}
		return nil
	})
}

func TestAuditEntries(t *testing.T) {
	db := MustOpenDB(t)
	p, _ := mustPerson(t, db, "official", RoleOfficial, 0, 0)
	mustUpdate(t, db, func(tx *Tx) error {
		for _, a := range []string{"clue.read", "clue.study", "ledger.refused"} {
			if err := tx.Audit(p.ID, "web", a, "clue:JH-2025-0001", ""); err != nil {
				return err
			}
		}
		return tx.Audit(0, "cli", "clue.read", "", "")
	})
	ctx := context.Background()
	for _, tc := range []struct {
		f    AuditFilter
		want int
	}{
		{AuditFilter{}, 5}, // and the invitation's issue
		{AuditFilter{Action: "invitation."}, 1},
		{AuditFilter{Action: "clue."}, 3},
		{AuditFilter{Action: "clue.read"}, 2},
		{AuditFilter{PersonID: p.ID}, 3},
		{AuditFilter{PersonID: p.ID, Action: "clue.read"}, 1},
		{AuditFilter{Limit: 2}, 2},
	} {
		got, err := db.AuditEntries(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want {
			t.Errorf("%+v: %d entries, want %d", tc.f, len(got), tc.want)
		}
	}
}

// TestCreateClueConcurrent: clues registered at the same time by many steps get distinct,
// consecutive numbers, because the write transaction (_txlock=immediate) serialises them.
func TestCreateClueConcurrent(t *testing.T) {
	db := MustOpenDB(t)
	setClock(db, t0)
	const n = 20
	numbers := make(chan string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c := &Clue{Source: ClueFromInspection}
			err := db.Update(context.Background(), func(tx *Tx) error {
				_, err := tx.CreateClue(c)
				return err
			})
			errs <- err
			numbers <- c.Number
		})
	}
	wg.Wait()
	close(numbers)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for num := range numbers {
		seen[num] = true
	}
	for i := 1; i <= n; i++ {
		if num := fmt.Sprintf("JH-2025-%04d", i); !seen[num] {
			t.Errorf("%s missing; got %v", num, seen)
		}
	}
}
