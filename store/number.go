package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// nextNumber takes the next number of a series (a clue's, or a kind of letter's) for a year
// from its counter row (migration 0019) and returns it. It runs in the caller's write
// transaction, which inserts the numbered row: if that rolls back, so does the number, and no
// two rows share one. One row read and written, however many numbers the year has issued:
// counting the year's letters with LIKE read every letter ever sent, and was 87.7 % of an
// escalation pass's CPU on a large ledger.
//
// Inside a call of Update the numbers are counted in the call's memory from the counter's value
// and the counter is written once, when the call returns without an error, before its
// savepoint or transaction ends (flushNumbers): the escalation pass numbers thousands of
// letters in a call, and an upsert for each was a twelfth of its time. Nothing else in the
// call reads the counter, and the next call of a batch starts after this one's is written.
func (tx *Tx) nextNumber(series string, year int) (int, error) {
	if tx.numbers == nil {
		var n int
		if err := tx.queryRow(`INSERT INTO number_counters (series, year, last) VALUES (?, ?, 1)
		ON CONFLICT (series, year) DO UPDATE SET last = last + 1 RETURNING last`, series, year).Scan(&n); err != nil {
			return 0, fmt.Errorf("number %s %d: %w", series, year, err)
		}
		return n, nil
	}
	k := numberKey{series, year}
	n, ok := tx.numbers[k]
	if !ok {
		err := tx.queryRow(`SELECT last FROM number_counters WHERE series = ? AND year = ?`, series, year).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("number %s %d: %w", series, year, err)
		}
	}
	n++
	tx.numbers[k] = n
	return n, nil
}

type numberKey struct {
	series string
	year   int
}

// flushNumbers writes the counters of the numbers a call took (see nextNumber).
func (tx *Tx) flushNumbers() error {
	for k, n := range tx.numbers {
		if _, err := tx.exec(`INSERT INTO number_counters (series, year, last) VALUES (?, ?, ?)
			ON CONFLICT (series, year) DO UPDATE SET last = excluded.last`, k.series, k.year, n); err != nil {
			return fmt.Errorf("number %s %d: %w", k.series, k.year, err)
		}
	}
	clear(tx.numbers)
	return nil
}
