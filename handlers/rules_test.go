package handlers_test

import (
	"context"
	"testing"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// TestRules checks the rule book against the table of docs/PERMISSIONS.md, role by role, and
// its scope on real clues: the chat, the desk and the command line all ask it.
func TestRules(t *testing.T) {
	l, err := handlers.LoadLedger("")
	if err != nil {
		t.Fatal(err)
	}
	const tw, tw2 = 1, 2
	people := map[string]*store.Person{
		"resident":        nil,
		"officer":         {ID: 1, Role: store.RoleOfficer, TownshipID: tw},
		"liaison":         {ID: 2, Role: store.RoleLiaison, TownshipID: tw},
		"unit":            {ID: 3, Role: store.RoleUnit, Unit: "case1"},
		"unit by name":    {ID: 4, Role: store.RoleUnit, Unit: l.UnitName("case1", handlers.LangZH)},
		"unit other":      {ID: 5, Role: store.RoleUnit, Unit: "org"},
		"unit none":       {ID: 6, Role: store.RoleUnit},
		"official":        {ID: 7, Role: store.RoleOfficial, TownshipID: tw},
		"official county": {ID: 8, Role: store.RoleOfficial},
		"admin":           {ID: 9, Role: store.RoleAdmin},
	}
	// The roles that hold each permission, as the table in docs/PERMISSIONS.md says.
	want := map[handlers.Permission][]string{
		handlers.PermLedger:     {"official", "official county", "admin"},
		handlers.PermUnitClues:  {"unit", "unit by name", "unit other", "unit none"},
		handlers.PermOpen:       {"unit", "unit by name", "unit other", "unit none", "official", "official county", "admin"},
		handlers.PermDecide:     {"official", "official county", "admin"},
		handlers.PermUnitReport: {"unit", "unit by name", "unit other", "unit none"},
		handlers.PermAsk:        {"unit", "unit by name", "unit other", "unit none", "official", "official county", "admin"},
		handlers.PermRelay:      {"official", "official county", "admin"},
		handlers.PermReveal:     {"admin"},
		handlers.PermRegister:   {"official", "official county", "admin"},
		handlers.PermStats:      {"official", "official county", "admin"},
		handlers.PermBlock:      {"official", "official county", "admin"},
		handlers.PermDesk:       {"unit", "unit by name", "unit other", "unit none", "official", "official county", "admin"},
		handlers.PermKeeper:     {"official", "official county", "admin"},
		handlers.PermClock:      {"official", "official county", "admin"},
		handlers.PermResult:     {"official", "official county", "admin"},
		handlers.PermNotAccept:  {"official", "official county", "admin"},
		handlers.PermObjection:  {"official", "official county", "admin"},
	}
	for perm, holders := range want {
		for name, p := range people {
			allowed := false
			for _, h := range holders {
				allowed = allowed || h == name
			}
			if got := handlers.RulesFor(p, l).Can(perm); got != allowed {
				t.Errorf("%s may %s: got %v, want %v", name, perm, got, allowed)
			}
		}
	}

	// Scope, on clues in the store: each person lists exactly the clues Sees allows.
	en := newEnv(t)
	ctx := context.Background()
	var clues []*store.Clue
	err = en.db.Update(ctx, func(tx *store.Tx) error {
		for _, c := range []*store.Clue{
			{Subject: "甲", Summary: "本镇，移交第一室", TownshipID: en.township, Unit: "case1"},
			{Subject: "乙", Summary: "本镇，未移交", TownshipID: en.township},
			{Subject: "丙", Summary: "他镇，移交组织部", TownshipID: en.township2, Unit: "org"},
		} {
			unit := l.CanonicalUnit(c.Unit) // as a transfer records it
			c.Unit = ""
			if _, err := tx.CreateClue(c); err != nil {
				return err
			}
			if c.Summary != "本镇，未移交" {
				if err := tx.UpdateClue(c.ID, store.ClueUpdate{Unit: &unit}); err != nil {
					return err
				}
				c.Unit = unit
			}
			clues = append(clues, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The person's township in the table above is 1; map it to the env's townships.
	people["official"].TownshipID = en.township
	people["officer"].TownshipID, people["liaison"].TownshipID = en.township, en.township
	sees := map[string][]int{ // indexes into clues
		"resident": nil, "officer": nil, "liaison": nil,
		"unit": {0}, "unit by name": {0}, "unit other": {2}, "unit none": nil,
		"official": {0, 1}, "official county": {0, 1, 2}, "admin": {0, 1, 2},
	}
	for name, p := range people {
		r := handlers.RulesFor(p, l)
		var listed []*store.Clue
		err := en.db.Update(ctx, func(tx *store.Tx) error {
			var err error
			listed, err = tx.Clues(r.Scope(store.ClueFilter{}))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for i, c := range clues {
			if r.Sees(c) {
				got = append(got, i)
			}
		}
		if !equalInts(got, sees[name]) {
			t.Errorf("%s sees clues %v, want %v", name, got, sees[name])
		}
		if len(listed) != len(sees[name]) {
			t.Errorf("%s lists %d clues in scope, want %d (the same as Sees)", name, len(listed), len(sees[name]))
		}
		for _, c := range listed {
			if !r.Sees(c) {
				t.Errorf("%s lists %s, which it may not see", name, c.Number)
			}
		}
	}
	withdrawn := *people["admin"]
	withdrawn.WithdrawnAt = time.Now()
	if r := handlers.RulesFor(&withdrawn, l); r.Role() != "" || r.Can(handlers.PermDesk) || r.Sees(clues[0]) || !r.Scope(store.ClueFilter{}).Nothing {
		t.Error("a withdrawn administrator keeps rights")
	}
	if r := handlers.RulesFor(people["official"], l); r.SeesTownship(en.township2) || !r.SeesTownship(en.township) {
		t.Error("a township official's list may be narrowed to their own township only")
	}
	_ = tw2
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
