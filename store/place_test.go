package store

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestImportPlaces(t *testing.T) {
	rows := []PlaceRow{
		{Township: "东城镇"},
		{Township: "东城镇", Village: "一村", Class: "key", CollectiveIncome: 50000, Population: 1200},
		{Township: "东城镇", Village: "二村", Class: "general"},
		{Township: "西山乡", Village: "三村", Class: "general", Population: 300},
	}

	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		res, err := db.ImportPlaces(t.Context(), rows)
		if err != nil {
			t.Fatal(err)
		}
		if want := (ImportResult{TownshipsAdded: 2, VillagesAdded: 3}); res != want {
			t.Fatalf("first import = %+v, want %+v", res, want)
		}
		res, err = db.ImportPlaces(t.Context(), rows)
		if err != nil {
			t.Fatal(err)
		}
		if res != (ImportResult{}) {
			t.Fatalf("second import = %+v, want all zeros", res)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM villages`); n != 3 {
			t.Fatalf("villages = %d, want 3", n)
		}
	})

	t.Run("Update", func(t *testing.T) {
		db := MustOpenDB(t)
		if _, err := db.ImportPlaces(t.Context(), rows); err != nil {
			t.Fatal(err)
		}
		changed := append([]PlaceRow(nil), rows...)
		changed[2].Class = "key"            // 二村 becomes a key village
		changed[1].CollectiveIncome = 80000 // 一村's income changes
		changed = append(changed, PlaceRow{Township: "西山乡", Village: "四村", Class: "general"})
		res, err := db.ImportPlaces(t.Context(), changed)
		if err != nil {
			t.Fatal(err)
		}
		if want := (ImportResult{VillagesAdded: 1, VillagesUpdated: 2}); res != want {
			t.Fatalf("changed import = %+v, want %+v", res, want)
		}
		tid, vid, err := db.FindPlaceByName(t.Context(), "东城镇", "一村")
		if err != nil {
			t.Fatal(err)
		}
		mustUpdate(t, db, func(tx *Tx) error {
			v, err := tx.FindVillage(vid)
			if err != nil {
				return err
			}
			if want := (Village{ID: vid, TownshipID: tid, Name: "一村", Class: "key", CollectiveIncome: 80000, Population: 1200}); *v != want {
				t.Errorf("FindVillage = %+v, want %+v", v, want)
			}
			return nil
		})

		only := []PlaceRow{{Township: "东城镇", Village: "二村", Class: "general"}}
		res, err = db.ImportPlaces(t.Context(), only)
		if err != nil {
			t.Fatal(err)
		}
		if want := (ImportResult{VillagesUpdated: 1}); res != want {
			t.Fatalf("class change = %+v, want %+v", res, want)
		}
	})

	t.Run("ErrClass", func(t *testing.T) {
		db := MustOpenDB(t)
		_, err := db.ImportPlaces(t.Context(), []PlaceRow{
			{Township: "南湖镇", Village: "好村", Class: "general"},
			{Township: "南湖镇", Village: "坏村", Class: "excellent"},
		})
		if err == nil {
			t.Fatal("ImportPlaces accepted an unknown class")
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM townships`); n != 0 {
			t.Fatalf("townships = %d after a failed import, want 0 (one transaction)", n)
		}
	})
}

func TestTownshipsVillages(t *testing.T) {
	db := MustOpenDB(t)
	pl := mustPlaces(t, db)

	t.Run("OK", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error {
			ts, err := tx.Townships()
			if err != nil {
				return err
			}
			if want := []Township{{pl.T1, "东城镇"}, {pl.T2, "西山乡"}}; len(ts) != 2 || ts[0] != want[0] || ts[1] != want[1] {
				t.Errorf("Townships = %+v, want %+v", ts, want)
			}
			vs, err := tx.Villages(pl.T1)
			if err != nil {
				return err
			}
			if len(vs) != 2 || vs[0].ID != pl.V1 || vs[0].Name != "一村" || vs[0].Class != "key" || vs[1].ID != pl.V2 || vs[1].TownshipID != pl.T1 {
				t.Errorf("Villages(T1) = %+v", vs)
			}
			vs, err = tx.Villages(pl.T2)
			if err != nil || len(vs) != 1 || vs[0].ID != pl.V3 {
				t.Errorf("Villages(T2) = %+v, %v", vs, err)
			}
			tw, err := tx.FindTownship(pl.T2)
			if err != nil || tw.Name != "西山乡" {
				t.Errorf("FindTownship = %+v, %v", tw, err)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		mustUpdate(t, db, func(tx *Tx) error {
			if _, err := tx.FindTownship(999); !errors.Is(err, ErrNotFound) {
				t.Errorf("FindTownship(999) = %v, want ErrNotFound", err)
			}
			if _, err := tx.FindVillage(999); !errors.Is(err, ErrNotFound) {
				t.Errorf("FindVillage(999) = %v, want ErrNotFound", err)
			}
			if vs, err := tx.Villages(999); err != nil || len(vs) != 0 {
				t.Errorf("Villages(999) = %v, %v; want none", vs, err)
			}
			return nil
		})
	})
}

func TestFindPlaceByName(t *testing.T) {
	db := MustOpenDB(t)
	pl := mustPlaces(t, db)

	t.Run("OK", func(t *testing.T) {
		tid, vid, err := db.FindPlaceByName(t.Context(), "东城镇", "二村")
		if err != nil || tid != pl.T1 || vid != pl.V2 {
			t.Fatalf("FindPlaceByName = %d, %d, %v; want %d, %d", tid, vid, err, pl.T1, pl.V2)
		}
		tid, vid, err = db.FindPlaceByName(t.Context(), "西山乡", "")
		if err != nil || tid != pl.T2 || vid != 0 {
			t.Fatalf("FindPlaceByName(township only) = %d, %d, %v", tid, vid, err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, c := range [][2]string{
			{"北海镇", ""},
			{"北海镇", "一村"},
			{"西山乡", "一村"}, // a village of another township
			{"东城镇", "九村"},
		} {
			tid, vid, err := db.FindPlaceByName(t.Context(), c[0], c[1])
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("FindPlaceByName(%q, %q) = %d, %d, %v; want ErrNotFound", c[0], c[1], tid, vid, err)
				continue
			}
			if tid != 0 || vid != 0 {
				t.Errorf("FindPlaceByName(%q, %q) returned ids %d, %d with an error", c[0], c[1], tid, vid)
			}
			name := c[0]
			if c[1] != "" && c[0] != "北海镇" {
				name = c[1]
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name %q", err, name)
			}
		}
	})
}

func TestRenamePlace(t *testing.T) {
	db := MustOpenDB(t)
	pl := mustPlaces(t, db)
	if err := db.RenamePlace(t.Context(), pl.T1, pl.V1, "一号村"); err != nil {
		t.Fatal(err)
	}
	if _, v, err := db.FindPlaceByName(t.Context(), "东城镇", "一号村"); err != nil || v != pl.V1 {
		t.Fatalf("renamed village: %d, %v", v, err)
	}
	if err := db.RenamePlace(t.Context(), pl.T1, pl.V2, "一号村"); !errors.Is(err, ErrPlaceExists) {
		t.Errorf("village onto a sibling's name: %v", err)
	}
	if err := db.RenamePlace(t.Context(), pl.T2, 0, "东城镇"); !errors.Is(err, ErrPlaceExists) {
		t.Errorf("township onto another's name: %v", err)
	}
	// Villages of different townships may share a name.
	if err := db.RenamePlace(t.Context(), pl.T2, pl.V3, "二村"); err != nil {
		t.Errorf("a name another township's village has: %v", err)
	}
	if err := db.RenamePlace(t.Context(), pl.T2, pl.V1, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a village of another township: %v", err)
	}
}

func TestRemovePlace(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		pl := mustPlaces(t, db)
		if refs, err := db.RemovePlace(t.Context(), pl.T1, pl.V2); err != nil {
			t.Fatalf("remove village: %v %v", refs, err)
		}
		if _, err := db.RemovePlace(t.Context(), pl.T2, 0); err != nil {
			t.Fatalf("remove township: %v", err)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM villages`); n != 1 {
			t.Errorf("villages left: %d, want 1", n)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM townships`); n != 1 {
			t.Errorf("townships left: %d, want 1", n)
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM audit WHERE action = 'place.remove'`); n != 2 {
			t.Errorf("audit rows: %d, want 2", n)
		}
	})

	t.Run("ErrPlaceInUse", func(t *testing.T) {
		db := MustOpenDB(t)
		pl := mustPlaces(t, db)
		mustReport(t, db, &Report{Category: "funds", TownshipID: pl.T1, VillageID: pl.V1, Description: "x", Anonymous: true, Lang: "zh"}, nil)
		mustPerson(t, db, "42", RoleOfficer, pl.T2, pl.V3)
		for _, tc := range []struct {
			tw, v int64
			want  []PlaceRef
		}{
			{pl.T1, pl.V1, []PlaceRef{{"reports", 1}}},
			{pl.T1, 0, []PlaceRef{{"reports", 1}}},
			{pl.T2, pl.V3, []PlaceRef{{"people (bound invitations)", 1}, {"invitations", 1}}},
		} {
			refs, err := db.RemovePlace(t.Context(), tc.tw, tc.v)
			if !errors.Is(err, ErrPlaceInUse) || !slices.Equal(refs, tc.want) {
				t.Errorf("remove %d/%d = %v, %v; want %v, ErrPlaceInUse", tc.tw, tc.v, refs, err, tc.want)
			}
		}
		if n := mustCount(t, db, `SELECT COUNT(*) FROM villages`); n != 3 {
			t.Errorf("villages left: %d, want 3", n)
		}
		// The village nothing refers to still goes.
		if _, err := db.RemovePlace(t.Context(), pl.T1, pl.V2); err != nil {
			t.Errorf("remove 二村: %v", err)
		}
	})
}
