package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Township is a 乡镇 or 街道.
type Township struct {
	ID   int64
	Name string
}

// Village is a 村 or 社区 with its key indicators and class.
type Village struct {
	ID               int64
	TownshipID       int64
	Name             string
	Class            string // "key" (重点村) or "general" (一般村)
	CollectiveIncome int64  // yuan per year; 0 when unknown
	Population       int64
}

// PlaceRow is one line of a places import: a township alone when Village is empty.
type PlaceRow struct {
	Township         string
	Village          string
	Class            string
	CollectiveIncome int64
	Population       int64
}

// ImportResult counts what an import changed.
type ImportResult struct {
	TownshipsAdded, VillagesAdded, VillagesUpdated int
}

// ImportPlaces inserts or updates townships and villages by name, in one transaction, so that
// importing the same file twice changes nothing the second time.
func (db *DB) ImportPlaces(ctx context.Context, rows []PlaceRow) (ImportResult, error) {
	var r ImportResult
	err := db.Update(ctx, func(tx *Tx) error {
		r = ImportResult{}
		for _, row := range rows {
			res, err := tx.exec(`INSERT INTO townships (name) VALUES (?) ON CONFLICT (name) DO NOTHING`, row.Township)
			if err != nil {
				return fmt.Errorf("insert township: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 1 {
				r.TownshipsAdded++
			}
			if row.Village == "" {
				continue
			}
			var tid int64
			if err := tx.queryRow(`SELECT id FROM townships WHERE name = ?`, row.Township).Scan(&tid); err != nil {
				return fmt.Errorf("find township: %w", err)
			}
			var (
				id                 int64
				class              string
				income, population sql.NullInt64
			)
			err = tx.queryRow(`SELECT id, class, collective_income, population FROM villages WHERE township_id = ? AND name = ?`,
				tid, row.Village).Scan(&id, &class, &income, &population)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if _, err := tx.exec(`INSERT INTO villages (township_id, name, class, collective_income, population) VALUES (?, ?, ?, ?, ?)`,
					tid, row.Village, row.Class, nullInt(row.CollectiveIncome), nullInt(row.Population)); err != nil {
					return fmt.Errorf("insert village: %w", err)
				}
				r.VillagesAdded++
			case err != nil:
				return fmt.Errorf("find village: %w", err)
			case class != row.Class || income.Int64 != row.CollectiveIncome || population.Int64 != row.Population:
				if _, err := tx.exec(`UPDATE villages SET class = ?, collective_income = ?, population = ? WHERE id = ?`,
					row.Class, nullInt(row.CollectiveIncome), nullInt(row.Population), id); err != nil {
					return fmt.Errorf("update village: %w", err)
				}
				r.VillagesUpdated++
			}
		}
		return nil
	})
	return r, err
}

// Townships lists every township by name.
func (tx *Tx) Townships() ([]Township, error) {
	rows, err := tx.query(`SELECT id, name FROM townships ORDER BY id`)
	return collect("townships", rows, err, func(rows *sql.Rows, t *Township) error {
		return rows.Scan(&t.ID, &t.Name)
	})
}

// Villages lists the villages of a township.
func (tx *Tx) Villages(townshipID int64) ([]Village, error) {
	rows, err := tx.query(`SELECT id, township_id, name, class, IFNULL(collective_income, 0), IFNULL(population, 0)
		FROM villages WHERE township_id = ? ORDER BY id`, townshipID)
	return collect("villages", rows, err, func(rows *sql.Rows, v *Village) error {
		return rows.Scan(&v.ID, &v.TownshipID, &v.Name, &v.Class, &v.CollectiveIncome, &v.Population)
	})
}

// FindTownship returns a township by id.
func (tx *Tx) FindTownship(id int64) (*Township, error) {
	t := &Township{ID: id}
	err := tx.queryRow(`SELECT name FROM townships WHERE id = ?`, id).Scan(&t.Name)
	if err != nil {
		return nil, rowErr("find township", err)
	}
	return t, nil
}

// FindVillage returns a village by id.
func (tx *Tx) FindVillage(id int64) (*Village, error) {
	v := &Village{ID: id}
	err := tx.queryRow(`SELECT township_id, name, class, IFNULL(collective_income, 0), IFNULL(population, 0) FROM villages WHERE id = ?`, id).
		Scan(&v.TownshipID, &v.Name, &v.Class, &v.CollectiveIncome, &v.Population)
	if err != nil {
		return nil, rowErr("find village", err)
	}
	return v, nil
}

// FindPlaceByName resolves a township name and an optional village name to ids; used by the CLI.
func (db *DB) FindPlaceByName(ctx context.Context, township, village string) (townshipID, villageID int64, err error) {
	err = db.queryRow(ctx, `SELECT id FROM townships WHERE name = ?`, township).Scan(&townshipID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("township %q: %w", township, ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("find township: %w", err)
	}
	if village == "" {
		return townshipID, 0, nil
	}
	err = db.queryRow(ctx, `SELECT id FROM villages WHERE township_id = ? AND name = ?`, townshipID, village).Scan(&villageID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, fmt.Errorf("village %q in %q: %w", village, township, ErrNotFound)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("find village: %w", err)
	}
	return townshipID, villageID, nil
}

// ErrPlaceExists is returned when a rename would give two townships, or two villages of one
// township, the same name.
var ErrPlaceExists = errors.New("a place of that name already exists")

// ErrPlaceInUse is returned by RemovePlace for a place that records still refer to.
var ErrPlaceInUse = errors.New("the place is still referred to")

// PlaceRef counts the rows of one kind that refer to a place.
type PlaceRef struct {
	What  string // "reports", "clues", "people"…
	Count int
}

// placeRefs is every table that refers to a township or a village, and what it holds.
var placeRefs = []struct{ table, what string }{
	{"people", "people (bound invitations)"},
	{"invitations", "invitations"},
	{"reports", "reports"},
	{"clues", "clues"},
	{"tasks", "tasks"},
	{"checkins", "check-ins"},
	{"subscriptions", "subscriptions"},
	{"announcement_areas", "announcements"},
	{"round_places", "rounds"},
	{"class_cycles", "classification cycles"},
	{"class_history", "classification records"},
}

// RenamePlace renames a township (villageID 0) or a village. Records keep pointing at the
// place, so they show the new name: this is how a misspelt place is put right.
func (db *DB) RenamePlace(ctx context.Context, townshipID, villageID int64, name string) error {
	return db.Update(ctx, func(tx *Tx) error {
		var n int
		q, args := `SELECT COUNT(*) FROM townships WHERE name = ? AND id != ?`, []any{name, townshipID}
		if villageID != 0 {
			q, args = `SELECT COUNT(*) FROM villages WHERE township_id = ? AND name = ? AND id != ?`, []any{townshipID, name, villageID}
		}
		if err := tx.queryRow(q, args...).Scan(&n); err != nil {
			return fmt.Errorf("rename place: %w", err)
		}
		if n > 0 {
			return ErrPlaceExists
		}
		q, args = `UPDATE townships SET name = ? WHERE id = ?`, []any{name, townshipID}
		if villageID != 0 {
			q, args = `UPDATE villages SET name = ? WHERE id = ? AND township_id = ?`, []any{name, villageID, townshipID}
		}
		res, err := tx.exec(q, args...)
		if err != nil {
			return fmt.Errorf("rename place: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return tx.Audit(0, "cli", "place.rename", placeObject(townshipID, villageID), name)
	})
}

// RemovePlace removes a village, or a township with its villages, when nothing refers to them.
// Otherwise it returns ErrPlaceInUse and what refers to the place: reports, clues and people
// keep their history, so such a place is renamed, never removed.
func (db *DB) RemovePlace(ctx context.Context, townshipID, villageID int64) ([]PlaceRef, error) {
	var refs []PlaceRef
	err := db.Update(ctx, func(tx *Tx) error {
		refs = nil
		for _, r := range placeRefs {
			var (
				n    int
				cond string
				args []any
			)
			switch {
			case villageID != 0 && r.table == "class_cycles":
				continue // a cycle is a township's
			case villageID != 0:
				cond, args = `village_id = ?`, []any{villageID}
			case r.table == "class_history":
				cond, args = `village_id IN (SELECT id FROM villages WHERE township_id = ?)`, []any{townshipID}
			case r.table == "class_cycles":
				cond, args = `township_id = ?`, []any{townshipID}
			default:
				cond, args = `township_id = ? OR village_id IN (SELECT id FROM villages WHERE township_id = ?)`, []any{townshipID, townshipID}
			}
			if err := tx.queryRow(`SELECT COUNT(*) FROM `+r.table+` WHERE `+cond, args...).Scan(&n); err != nil {
				return fmt.Errorf("count %s: %w", r.table, err)
			}
			if n > 0 {
				refs = append(refs, PlaceRef{What: r.what, Count: n})
			}
		}
		if len(refs) > 0 {
			return ErrPlaceInUse
		}
		if villageID != 0 {
			if _, err := tx.exec(`DELETE FROM villages WHERE id = ? AND township_id = ?`, villageID, townshipID); err != nil {
				return fmt.Errorf("delete village: %w", err)
			}
		} else {
			if _, err := tx.exec(`DELETE FROM villages WHERE township_id = ?`, townshipID); err != nil {
				return fmt.Errorf("delete villages: %w", err)
			}
			if _, err := tx.exec(`DELETE FROM townships WHERE id = ?`, townshipID); err != nil {
				return fmt.Errorf("delete township: %w", err)
			}
		}
		return tx.Audit(0, "cli", "place.remove", placeObject(townshipID, villageID), "")
	})
	return refs, err
}

func placeObject(townshipID, villageID int64) string {
	if villageID != 0 {
		return fmt.Sprintf("village:%d", villageID)
	}
	return fmt.Sprintf("township:%d", townshipID)
}
