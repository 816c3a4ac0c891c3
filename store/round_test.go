package store

import (
	"context"
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
