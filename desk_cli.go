package main

import (
	"context"
	"errors"
	"flag"
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
// administrator who cannot use the chat's /desk. Kept in one file so that serve's share of it
// is a few lines and the command table's one row.

// deskFlags are serve's settings for the desk.
type deskFlags struct {
	url string
}

func (f *deskFlags) register(fs *flag.FlagSet) {
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

// deskLink is `xuncha desk link --person ID`: a one-time sign-in link for a person the rule
// book lets use the desk, printed for the administrator to pass on.
func deskLink(fs *flag.FlagSet) runFunc {
	var (
		c      common
		person personFlag
		df     deskFlags
	)
	c.register(fs, useDB)
	person.register(fs, ": an official, administrator or unit member")
	df.register(fs)
	return func(ctx context.Context, e *env) error {
		db, err := c.openDB(ctx, e, person.check)
		if err != nil {
			return err
		}
		defer db.Close()
		var token string
		err = db.Update(ctx, func(tx *store.Tx) error {
			p, err := tx.FindPerson(int64(person))
			if errors.Is(err, store.ErrNotFound) {
				return person.notFound(e)
			}
			if err != nil {
				return err
			}
			// Whether one may use the desk does not depend on the unit's name: no ledger needed.
			if !handlers.RulesFor(p, nil).Can(handlers.PermDesk) {
				state := string(p.Role)
				if !p.WithdrawnAt.IsZero() {
					state = "withdrawn"
				}
				return fmt.Errorf("desk link: person %d is %s; the desk is for officials, administrators and unit members", person, state)
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
		fmt.Fprintf(e.stdout, "%s\nworks once, within %d minutes, for person %d only\n", handlers.DeskLink(base, token), int(handlers.DeskLinkTTL.Minutes()), person)
		return nil
	}
}
