package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// scanner is a single row or the current row of many: what a record's own scan function
// (scanClue, scanDuty, …) reads, so that one function serves a Find and a list.
type scanner interface{ Scan(...any) error }

// records reads every row of a query's result with a record's own scan function, in order,
// and closes the rows; err is the query's own. Errors begin with what.
func records[R any](what string, rows *sql.Rows, err error, scan func(scanner) (R, error)) ([]R, error) {
	return collect(what, rows, err, func(rows *sql.Rows, r *R) error {
		var err error
		*r, err = scan(rows)
		return err
	})
}

// value turns a record's scan function into one that gives the record itself, for the lists
// returned as values.
func value[T any](scan func(scanner) (*T, error)) func(scanner) (T, error) {
	return func(row scanner) (T, error) {
		p, err := scan(row)
		if err != nil {
			var zero T
			return zero, err
		}
		return *p, nil
	}
}

// first returns the first record of a list read by id, or ErrNotFound when there is none.
func first[T any](list []T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return &list[0], nil
}

// rowErr is the error of reading one row: ErrNotFound when there was none, the error with
// what before it otherwise, nil for nil.
func rowErr(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// unix and unixNull scan a column of unix seconds into a time, in UTC: unix a NOT NULL column
// (a NULL is an error, as scanning it into an int64 was), unixNull one where NULL is the zero
// time (unixOrZero). Each is one pointer, so passing it to Scan allocates nothing.
func unix(t *time.Time) sql.Scanner { return unixTime{t} }

// unixNull: see unix.
func unixNull(t *time.Time) sql.Scanner { return unixNullTime{t} }

type unixTime struct{ t *time.Time }

type unixNullTime struct{ t *time.Time }

// Scan implements sql.Scanner.
func (u unixTime) Scan(v any) error {
	if v == nil {
		return errors.New("unix time: NULL in a column that holds a time")
	}
	return unixNullTime(u).Scan(v)
}

// Scan implements sql.Scanner.
func (u unixNullTime) Scan(v any) error {
	if n, ok := v.(int64); ok { // what the driver gives for an INTEGER
		*u.t = time.Unix(n, 0).UTC()
		return nil
	}
	var n sql.NullInt64
	if err := n.Scan(v); err != nil {
		return err
	}
	*u.t = unixOrZero(n)
	return nil
}

// markOnce records when a row of table reached a stage, the first time only; cols names the
// column of each stage. Errors begin with what.
func (tx *Tx) markOnce(what, table string, cols map[string]string, stage string, id int64) error {
	col := cols[stage]
	if col == "" {
		return fmt.Errorf("%s: unknown stage %q", what, stage)
	}
	if _, err := tx.exec(`UPDATE `+table+` SET `+col+` = ? WHERE id = ? AND `+col+` IS NULL`, tx.now.Unix(), id); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// insert runs an INSERT and stores the new row's id in id. Errors begin with what.
func (tx *Tx) insert(id *int64, what, query string, args ...any) error {
	res, err := tx.exec(query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	*id, _ = res.LastInsertId()
	return nil
}

// changedOne reports whether a statement changed exactly one row. Errors begin with what.
func changedOne(what string, res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n == 1, nil
}
