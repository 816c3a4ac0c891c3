package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"xuncha/store"
)

// People management from the command line: who holds a role, and taking one away. A role is
// never self-declared and, until this, could never be taken back: a lost phone or a departed
// official kept the ledger. Both commands are audit-logged with channel cli; the list never
// prints a chat id (it has none to print: chats keep theirs sealed).

// peopleListCommand is "people list": everyone an invitation made, withdrawn ones too.
func peopleListCommand(fs *flag.FlagSet) runFunc {
	var (
		c      common
		active bool
	)
	c.register(fs, useDB|useTZ)
	fs.BoolVar(&active, "active", false, "only people who hold their role (leave out the withdrawn)")
	return func(ctx context.Context, e *env) error {
		db, err := c.openDB(ctx, e)
		if err != nil {
			return err
		}
		defer db.Close()
		people, err := db.ListPeople(ctx)
		if err != nil {
			return err
		}
		if err := auditCLI(ctx, db, "people.read", "people", fmt.Sprintf("%d people", len(people))); err != nil {
			return err
		}
		var t table
		t.row("ID", "ROLE", "JURISDICTION", "CHANNEL", "BOUND", "LAST ACTIVE", "STATUS", "NOTE")
		for _, p := range people {
			if active && p.Withdrawn() {
				continue
			}
			status, last := "active", "—"
			if p.Withdrawn() {
				status = "withdrawn " + p.WithdrawnAt.In(c.loc).Format("2006-01-02 15:04")
			}
			if !p.LastActive.IsZero() {
				last = p.LastActive.Format("2006-01-02") // a day (UTC): chats keep no finer time
			}
			role := string(p.Role)
			if p.Body != "" {
				role += "/" + p.Body // the leading group or the city committee
			}
			t.row(strconv.FormatInt(p.ID, 10), role, jurisdictionOf(p), dash(p.Channel),
				p.CreatedAt.In(c.loc).Format("2006-01-02 15:04"), last, status, dash(oneLine(p.Note)))
		}
		return t.write(e.stdout)
	}
}

// jurisdictionOf names where a person works: township, village, unit; "county" for none.
func jurisdictionOf(p store.PersonInfo) string {
	var parts []string
	for _, s := range []string{p.Township, p.Village, p.Unit} {
		if s != "" {
			parts = append(parts, oneLine(s))
		}
	}
	if len(parts) == 0 {
		return "county"
	}
	return strings.Join(parts, " ")
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// oneLine keeps a free-text field on its row: tabs and line breaks would break the table.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// personFlag is --person of a command about one person (people revoke, desk link): the
// person's id, from xuncha people list.
type personFlag int64

func (p *personFlag) register(fs *flag.FlagSet, usage string) {
	fs.Int64Var((*int64)(p), "person", 0, "the person's id, from xuncha people list"+usage)
}

// check fails unless --person was given.
func (p personFlag) check() error {
	if p <= 0 {
		return errors.New("XUNCHA_PERSON (--person) must be a person's id, from xuncha people list")
	}
	return nil
}

// notFound is the command's error when no person has the id.
func (p personFlag) notFound(e *env) error {
	return fmt.Errorf("%s: no person %d (see xuncha people list)", e.name, p)
}

// peopleRevokeCommand is "people revoke": withdraws a person's role.
func peopleRevokeCommand(fs *flag.FlagSet) runFunc {
	var (
		c      common
		person personFlag
		reason string
	)
	c.register(fs, useDB)
	person.register(fs, "")
	fs.StringVar(&reason, "reason", "", "why the role is withdrawn (lost phone, left the post…), for the audit log")
	return func(ctx context.Context, e *env) error {
		db, err := c.openDB(ctx, e, person.check, func() error {
			if strings.TrimSpace(reason) == "" {
				return errors.New("XUNCHA_REASON (--reason) must say why the role is withdrawn (it goes to the audit log)")
			}
			return nil
		})
		if err != nil {
			return err
		}
		defer db.Close()
		w, err := db.WithdrawPerson(ctx, int64(person), "cli", oneLine(reason))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return person.notFound(e)
		case errors.Is(err, store.ErrAlreadyWithdrawn):
			return fmt.Errorf("people revoke: the role of person %d was already withdrawn", person)
		case err != nil:
			return err
		}
		printWithdrawal(e.stdout, w)
		return nil
	}
}

// revokeInvitation is "invite --revoke CODE": an unused code can no longer be bound, and a
// used one also takes away the role it granted.
func revokeInvitation(ctx context.Context, db *store.DB, code, reason string, stdout io.Writer) error {
	w, err := db.RevokeInvitation(ctx, code, "cli", oneLine(reason))
	if errors.Is(err, store.ErrNotFound) {
		return errors.New("invite --revoke: no such code, or already revoked")
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "revoked")
	if w != nil {
		printWithdrawal(stdout, w)
	}
	return nil
}

func printWithdrawal(stdout io.Writer, w *store.Withdrawal) {
	fmt.Fprintf(stdout, "withdrew the %s role of person %d: %d chat(s) answered as a resident from the next message, %d pending message(s) cancelled\n",
		w.Role, w.PersonID, w.Chats, w.Cancelled)
}
