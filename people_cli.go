package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"xuncha/store"
)

// People management from the command line: who holds a role, and taking one away. A role is
// never self-declared and, until this, could never be taken back: a lost phone or a departed
// official kept the ledger. Both commands are audit-logged with channel cli; the list never
// prints a chat id (it has none to print: chats keep theirs sealed).

const peopleSynopsis = `people list [--active]
       xuncha people revoke --person ID --reason TEXT`

// peopleCommand runs "people list" and "people revoke".
func peopleCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "list":
		return peopleList(ctx, args, getenv, stdout, stderr)
	case "revoke":
		return peopleRevoke(ctx, args, getenv, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(stderr, "usage: xuncha %s\n\n", peopleSynopsis)
		fmt.Fprint(stderr, "list: everyone given a role by an invitation, withdrawn ones too: id, role, jurisdiction,\n"+
			"channel, when bound, the day last active, status, and the invitation's note. Never a chat id.\n"+
			"revoke: withdraw a person's role. Their chats are residents again from their next message,\n"+
			"on every channel, and the staff messages still queued for them are not delivered.\n"+
			"Revoking the invitation that made them (xuncha invite --revoke CODE) does the same.\n\n")
		for _, f := range []func(io.Writer) *flag.FlagSet{peopleListFlags(nil, nil), peopleRevokeFlags(nil, nil, nil)} {
			f(stderr).Usage()
			fmt.Fprintln(stderr)
		}
		return nil
	}
	fmt.Fprintf(stderr, "usage: xuncha %s\n", peopleSynopsis)
	return fmt.Errorf("people: unknown subcommand %q (list, revoke)", sub)
}

// peopleListFlags builds the flag set of "people list" on writer w; nil targets are for --help.
func peopleListFlags(c *common, active *bool) func(w io.Writer) *flag.FlagSet {
	return func(w io.Writer) *flag.FlagSet {
		if c == nil {
			c, active = new(common), new(bool)
		}
		fs := newFlagSet("people list", "people list [--active]", w)
		c.register(fs)
		fs.BoolVar(active, "active", false, "only people who hold their role (leave out the withdrawn)")
		return fs
	}
}

// peopleRevokeFlags builds the flag set of "people revoke" on writer w; nil targets are for --help.
func peopleRevokeFlags(c *common, person *int64, reason *string) func(w io.Writer) *flag.FlagSet {
	return func(w io.Writer) *flag.FlagSet {
		if c == nil {
			c, person, reason = new(common), new(int64), new(string)
		}
		fs := newFlagSet("people revoke", "people revoke --person ID --reason TEXT", w)
		c.register(fs)
		fs.Int64Var(person, "person", 0, "the person's id, from xuncha people list")
		fs.StringVar(reason, "reason", "", "why the role is withdrawn (lost phone, left the post…), for the audit log")
		return fs
	}
}

func peopleList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		c      common
		active bool
	)
	fs := peopleListFlags(&c, &active)(stderr)
	if done, err := parseFlags(fs, args, getenv); done {
		return err // nil after --help
	}
	if err := c.validate(); err != nil {
		return err
	}
	db, err := c.open(ctx, getenv, c.logger(stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	people, err := db.ListPeople(ctx)
	if err != nil {
		return err
	}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.Audit(0, "cli", "people.read", "people", fmt.Sprintf("%d people", len(people)))
	}); err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tROLE\tJURISDICTION\tCHANNEL\tBOUND\tLAST ACTIVE\tSTATUS\tNOTE")
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
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Role, jurisdictionOf(p), dash(p.Channel),
			p.CreatedAt.In(c.loc).Format("2006-01-02 15:04"), last, status, dash(oneLine(p.Note)))
	}
	return w.Flush()
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

func peopleRevoke(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		c      common
		person int64
		reason string
	)
	fs := peopleRevokeFlags(&c, &person, &reason)(stderr)
	if done, err := parseFlags(fs, args, getenv); done {
		return err // nil after --help
	}
	if err := c.validate(); err != nil {
		return err
	}
	switch {
	case person <= 0:
		return errors.New("XUNCHA_PERSON (--person) must be a person's id, from xuncha people list")
	case strings.TrimSpace(reason) == "":
		return errors.New("XUNCHA_REASON (--reason) must say why the role is withdrawn (it goes to the audit log)")
	}
	db, err := c.open(ctx, getenv, c.logger(stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := db.WithdrawPerson(ctx, person, "cli", oneLine(reason))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("people revoke: no person %d (see xuncha people list)", person)
	case errors.Is(err, store.ErrAlreadyWithdrawn):
		return fmt.Errorf("people revoke: the role of person %d was already withdrawn", person)
	case err != nil:
		return err
	}
	printWithdrawal(stdout, w)
	return nil
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
