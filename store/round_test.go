package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestClassificationCycle: a round's mode follows the class approved at the fifth step, and
// the history refuses updates and deletes.
func TestClassificationCycle(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if _, err := db.ImportPlaces(ctx, []PlaceRow{{Township: "新站镇", Village: "东风村", Class: "general"}, {Township: "新站镇", Village: "向阳村", Class: "general"}}); err != nil {
		t.Fatal(err)
	}
	tw, v, err := db.FindPlaceByName(ctx, "新站镇", "东风村")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().AddDate(0, 0, 7)
	mustUpdate(t, db, func(tx *Tx) error {
		c, err := tx.StartClassCycle(tw, due)
		if err != nil {
			return err
		}
		if _, err := tx.StartClassCycle(tw, due); err != ErrCycleOpen {
			t.Errorf("second open cycle: %v", err)
		}
		if err := tx.AdvanceClassCycle(c, due); err != ErrNothingProposed {
			t.Errorf("advance with nothing proposed: %v", err)
		}
		for step := ClassPropose; step <= ClassApprove; step++ {
			class := "key"
			if step == ClassOpinions {
				class = "general" // a department disagrees; the leading group settles it
			}
			if err := tx.RecordClass(c, v, class, "", 0); err != nil {
				return err
			}
			if err := tx.AdvanceClassCycle(c, due); err != nil {
				return err
			}
		}
		if c.Step != ClassApproved || c.ApprovedAt.IsZero() {
			t.Errorf("cycle not approved: %+v", c)
		}
		if err := tx.RecordClass(c, v, "key", "", 0); err == nil {
			t.Error("recorded after approval")
		}
		p := &RoundPlan{Round: Round{Name: "R", StartsAt: time.Now(), EndsAt: time.Now().AddDate(0, 1, 0)}, TownshipIDs: []int64{tw}}
		if err := tx.CreateRoundPlan(p); err != nil {
			return err
		}
		info, err := tx.RoundDetail(p.ID)
		if err != nil {
			return err
		}
		modes := map[string]string{}
		for _, pl := range info.Places {
			modes[pl.Village] = pl.Mode
		}
		if modes["东风村"] != ModeDirect || modes["向阳村"] != ModeTogether {
			t.Errorf("modes %v", modes)
		}
		return nil
	})
	for _, q := range []string{`UPDATE class_history SET class = 'general'`, `DELETE FROM class_history`} {
		if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.exec(q); return err }); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM class_history`); n != 5 {
		t.Fatalf("history has %d rows", n)
	}
}

// TestPurgeKeepsBriefingAndRectificationFiles: files that a briefing or a rectification step
// holds are not orphans (deleting them would also break the foreign key and fail the purge).
func TestPurgeKeepsBriefingAndRectificationFiles(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	var brief, plan string
	mustUpdate(t, db, func(tx *Tx) error {
		var err error
		if brief, err = tx.PutBlob([]byte("briefing file"), "text/plain"); err != nil {
			return err
		}
		if plan, err = tx.PutBlob([]byte("plan file"), "text/plain"); err != nil {
			return err
		}
		r := &Round{Name: "R", StartsAt: tx.Now(), EndsAt: tx.Now().AddDate(0, 1, 0)}
		if err := tx.CreateRound(r); err != nil {
			return err
		}
		if err := tx.RequestBriefings(r.ID, []string{"审计局"}, tx.Now()); err != nil {
			return err
		}
		if err := tx.AddBriefing(&Briefing{RequestID: 1, Org: "党委", FileSHA: brief, FileName: "a.txt"}); err != nil {
			return err
		}
		item := &RectItem{RoundID: r.ID, Kind: RectTask, Unit: "党委", Title: "t", PlanDueAt: tx.Now(), DueAt: tx.Now()}
		if err := tx.CreateRectItem(item); err != nil {
			return err
		}
		return tx.AddRectEvent(&RectEvent{TaskID: item.ID, Kind: "plan", FileSHA: plan, FileName: "p.md"})
	})
	clk.advance(40 * 24 * time.Hour)
	if _, err := db.Purge(context.Background(), Retention{Draft: 30 * 24 * time.Hour}, "test", false); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db, `SELECT COUNT(*) FROM blobs WHERE sha256 IN (?, ?)`, brief, plan); n != 2 {
		t.Fatalf("%d of the 2 files kept", n)
	}
}

// TestCloseClassStepTwice: nobody closes two steps of one classification cycle; the command
// line's operator (person 0) may close any.
func TestCloseClassStepTwice(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	if _, err := db.ImportPlaces(ctx, []PlaceRow{{Township: "新站镇", Village: "东风村", Class: "general"}}); err != nil {
		t.Fatal(err)
	}
	tw, v, err := db.FindPlaceByName(ctx, "新站镇", "东风村")
	if err != nil {
		t.Fatal(err)
	}
	code, err := db.CreateInvitation(ctx, &Invitation{Role: RoleAdmin, Body: BodyLeadingGroup, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateInvitation(ctx, &Invitation{Role: RoleOfficial, Body: BodyCommittee, ExpiresAt: time.Now().Add(time.Hour)}); err == nil {
		t.Error("an official invited to sit for a body")
	}
	chat := mustChat(t, db, "web", "a")
	admin := mustGet(t, db, func(tx *Tx) (*Person, error) { return tx.RedeemInvitation(code, chat) }).ID
	err = db.Update(ctx, func(tx *Tx) error {
		if p, err := tx.FindPerson(admin); err != nil || p.Body != BodyLeadingGroup {
			t.Errorf("body not kept: %+v %v", p, err)
		}
		c, err := tx.StartClassCycle(tw, time.Now().Add(time.Hour))
		if err != nil {
			return err
		}
		if err := tx.RecordClass(c, v, "key", "", 0); err != nil {
			return err
		}
		for _, by := range []int64{0, 0, 0} { // steps 1–3 by the operator
			if err := tx.CloseClassStep(c, time.Now().Add(time.Hour), by); err != nil {
				return err
			}
		}
		if err := tx.CloseClassStep(c, time.Now().Add(time.Hour), admin); err != nil { // step 4
			return err
		}
		if err := tx.CloseClassStep(c, time.Now().Add(time.Hour), admin); !errors.Is(err, ErrSameCloser) || c.Step != ClassApprove {
			t.Errorf("the same person closed step 5 too: %v, step %d", err, c.Step)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
