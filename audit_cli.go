package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"xuncha/store"
)

// auditCmd prints the audit log, newest first, one tab-separated line an entry (for grep and
// cut). There is no command that changes it.
func auditCmd(fs *flag.FlagSet) runFunc {
	var c common
	var af store.AuditFilter
	c.register(fs, useDB|useTZ)
	fs.IntVar(&af.Limit, "limit", 50, "how many entries, newest first")
	fs.Int64Var(&af.PersonID, "person", 0, "only entries of this person id")
	fs.StringVar(&af.Action, "action", "", `only this action ("clue.read"), or a prefix ending in a dot ("clue.")`)
	return func(ctx context.Context, e *env) error {
		if af.Limit <= 0 || af.Limit > 100000 {
			return errors.New("XUNCHA_LIMIT (--limit) must be between 1 and 100000")
		}
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		entries, err := db.AuditEntries(ctx, af)
		if err != nil {
			return err
		}
		for _, a := range entries {
			who := "-"
			if a.PersonID != 0 {
				who = "person:" + strconv.FormatInt(a.PersonID, 10)
			}
			fmt.Fprintf(e.stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", a.At.In(c.loc).Format("2006-01-02 15:04:05"), who, a.Channel, a.Action, a.Object, a.Detail)
		}
		return auditCLI(ctx, db, "audit.read", "audit", fmt.Sprintf("limit=%d person=%d action=%s", af.Limit, af.PersonID, af.Action))
	}
}
