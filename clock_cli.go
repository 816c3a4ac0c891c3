package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"xuncha/store"
)

// clueKeeper assigns or changes the keeper (台账管理人) of a clue.
func clueKeeper(fs *flag.FlagSet) runFunc {
	var c common
	var number string
	var person int64
	c.register(fs, useDB|useTZ)
	fs.StringVar(&number, "clue", "", "the clue's number, e.g. JH-2026-0042")
	fs.Int64Var(&person, "person", 0, "the keeper's person id (xuncha people list): an official or administrator")
	return func(ctx context.Context, e *env) error {
		if number == "" || person <= 0 {
			return errors.New("clue keeper: --clue and --person are required")
		}
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		var label string
		err = db.Update(ctx, func(tx *store.Tx) error {
			cl, err := tx.FindClueByNumber(number)
			if err != nil {
				return fmt.Errorf("--clue %q: %w", number, err)
			}
			k, err := tx.FindKeeper(person)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("--person %d: not an official or administrator whose role holds", person)
			}
			if err != nil {
				return err
			}
			if err := tx.SetKeeper(cl.ID, k, 0); err != nil {
				if errors.Is(err, store.ErrKeeperScope) {
					return fmt.Errorf("--person %d: their township is not the clue's", person)
				}
				return err
			}
			label = k.Label()
			return tx.Audit(0, "cli", "clue.keeper", "clue:"+cl.Number, "person="+strconv.FormatInt(person, 10))
		})
		if err != nil {
			return fmt.Errorf("clue keeper: %w", err)
		}
		fmt.Fprintf(e.stdout, "clue %s: keeper %s\n", number, label)
		return nil
	}
}
