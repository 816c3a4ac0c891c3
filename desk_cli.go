package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"xuncha/desk"
	"xuncha/handlers"
	"xuncha/store"
)

// The officials' desk: mounted by serve under /desk/, and `xuncha desk link` for an
// administrator who cannot use the chat's /desk. Kept in one file so that serve's and the
// command dispatch's share of it is two lines each.

// deskFlags are serve's settings for the desk.
type deskFlags struct {
	url string
}

func (f *deskFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&f.url, "desk-url", "", "public address of the desk (scheme and host, e.g. https://xuncha.example.org), put in front of the sign-in links /desk sends; default: http:// and the listening address")
}

// mountDesk builds the desk and serves it under /desk/.
func mountDesk(logger *slog.Logger, mux *http.ServeMux, db *store.DB, engine *handlers.Engine, cfg desk.Config) error {
	dk, err := desk.New(logger, db, engine, cfg)
	if err != nil {
		return err
	}
	mux.Handle("/desk/", dk.Handler())
	return nil
}

// startDesk tells the engine the desk's address once the listener's is known.
func (f *deskFlags) start(engine *handlers.Engine, ln net.Listener, stdout io.Writer) {
	base := f.url
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	engine.SetDeskURL(base)
	fmt.Fprintf(stdout, "xuncha: desk at %s/desk/ (sign in with /desk in the chat)\n", strings.TrimRight(base, "/"))
}

// deskCommand is `xuncha desk link --person ID`: a one-time sign-in link for a person the
// rule book lets use the desk, printed for the administrator to pass on.
func deskCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "link" {
		fmt.Fprint(stderr, "usage: xuncha desk link --person ID [--desk-url URL]\n")
		return errors.New("desk: expected \"link\"")
	}
	var (
		c      common
		person int64
		df     deskFlags
	)
	fs := newFlagSet("desk link", "desk link --person ID [--desk-url https://host]", stderr)
	c.register(fs)
	fs.Int64Var(&person, "person", 0, "the person number (from xuncha audit) of an official, administrator or unit member")
	df.register(fs)
	if done, err := parseFlags(fs, args[1:], getenv); done {
		return err // nil after --help
	}
	if err := c.validate(); err != nil {
		return err
	}
	if person <= 0 {
		return errors.New("--person is required: the person number, as xuncha audit shows it")
	}
	ledger, err := handlers.LoadLedger(c.ledger)
	if err != nil {
		return fmt.Errorf("XUNCHA_LEDGER: %w", err)
	}
	logger := c.logger(stderr)
	db, err := c.open(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	var token string
	err = db.Update(ctx, func(tx *store.Tx) error {
		p, err := tx.FindPerson(person)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("desk link: no person %d", person)
		}
		if err != nil {
			return err
		}
		if !handlers.RulesFor(p, ledger).Can(handlers.PermDesk) {
			return fmt.Errorf("desk link: person %d is %s; the desk is for officials, administrators and unit members", person, p.Role)
		}
		if token, err = tx.CreateDeskLink(p.ID, handlers.DeskLinkTTL); err != nil {
			return err
		}
		return tx.Audit(0, "cli", "desk.link", fmt.Sprintf("person:%d", p.ID), "")
	})
	if err != nil {
		return err
	}
	base := df.url
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	fmt.Fprintf(stdout, "%s\nworks once, within %d minutes, for person %d only\n", handlers.DeskLink(base, token), int(handlers.DeskLinkTTL.Minutes()), person)
	return nil
}
