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
	if err != nil {
		return nil, fmt.Errorf("townships: %w", err)
	}
	defer rows.Close()
	var out []Township
	for rows.Next() {
		var t Township
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, fmt.Errorf("townships: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Villages lists the villages of a township.
func (tx *Tx) Villages(townshipID int64) ([]Village, error) {
	rows, err := tx.query(`SELECT id, township_id, name, class, IFNULL(collective_income, 0), IFNULL(population, 0)
		FROM villages WHERE township_id = ? ORDER BY id`, townshipID)
	if err != nil {
		return nil, fmt.Errorf("villages: %w", err)
	}
	defer rows.Close()
	var out []Village
	for rows.Next() {
		var v Village
		if err := rows.Scan(&v.ID, &v.TownshipID, &v.Name, &v.Class, &v.CollectiveIncome, &v.Population); err != nil {
			return nil, fmt.Errorf("villages: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// FindTownship returns a township by id.
func (tx *Tx) FindTownship(id int64) (*Township, error) {
	t := &Township{ID: id}
	err := tx.queryRow(`SELECT name FROM townships WHERE id = ?`, id).Scan(&t.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find township: %w", err)
	}
	return t, nil
}

// FindVillage returns a village by id.
func (tx *Tx) FindVillage(id int64) (*Village, error) {
	v := &Village{ID: id}
	err := tx.queryRow(`SELECT township_id, name, class, IFNULL(collective_income, 0), IFNULL(population, 0) FROM villages WHERE id = ?`, id).
		Scan(&v.TownshipID, &v.Name, &v.Class, &v.CollectiveIncome, &v.Population)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find village: %w", err)
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
