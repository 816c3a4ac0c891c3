package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"xuncha/handlers"
	"xuncha/store"
)

// inviteCommand issues a one-time invitation code, or revokes one. It refuses what would bind a
// role that cannot work: an officer without a village (check-ins and tasks are a village's), a
// unit no clue, briefing or rectification can ever reach.
func inviteCommand(fs *flag.FlagSet) runFunc {
	var (
		c                             common
		role, township, village, unit string
		note, revoke, reason          string
		expires                       time.Duration
		qr                            bool
		wx                            wechatFlags
	)
	c.register(fs, useDB|useTZ|useLedger)
	fs.StringVar(&role, "role", "", "role the invitation grants: officer, liaison, official, unit or admin; or leading-group (领导小组) or committee (市委), administrators who sit for that body")
	fs.StringVar(&township, "township", "", "township (乡镇) of the jurisdiction, by name")
	fs.StringVar(&village, "village", "", "village (村) of the jurisdiction, by name; needs --township; required for role officer")
	fs.StringVar(&unit, "unit", "", "for role unit: a receiving unit of the ledger (key or name) or an organisation a round inspects")
	fs.StringVar(&note, "note", "", "who the invitation is for (kept for the audit log)")
	fs.DurationVar(&expires, "expires", 72*time.Hour, "how long the code stays valid")
	fs.StringVar(&revoke, "revoke", "", "revoke this code instead of issuing one; a code already used also withdraws the role it granted")
	fs.StringVar(&reason, "reason", "", "with --revoke: why, for the audit log")
	fs.BoolVar(&qr, "qr", false, "also print a WeChat QR code that binds the invitation when scanned (needs WECHAT_APP_ID and WECHAT_APP_SECRET)")
	wx.registerAPI(fs)
	return func(ctx context.Context, e *env) error {
		if err := c.validate(); err != nil {
			return err
		}
		if err := checkLine("note", note); err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		if qr {
			if err := wx.validateAPI(); err != nil {
				return fmt.Errorf("invite --qr: %w", err)
			}
		}
		inv := &store.Invitation{Role: store.Role(role), Note: note}
		// The two bodies that adjust and approve the village classification are invitation
		// kinds of their own: administrators who sit for the body (people.body).
		if body, ok := map[string]string{"leading-group": store.BodyLeadingGroup, "committee": store.BodyCommittee}[role]; ok {
			inv.Role, inv.Body = store.RoleAdmin, body
		}
		if revoke == "" {
			switch {
			case !store.ValidRole(inv.Role):
				return fmt.Errorf("XUNCHA_ROLE (--role) must be one of officer, liaison, official, unit, admin, leading-group, committee; got %q", role)
			case expires <= 0:
				return errors.New("XUNCHA_EXPIRES (--expires) must be positive")
			case village != "" && township == "":
				return errors.New("--village needs --township")
			case (inv.Role == store.RoleOfficer || inv.Role == store.RoleLiaison) && township == "":
				return fmt.Errorf("--township is required for role %s", role)
			case inv.Role == store.RoleOfficer && village == "":
				return errors.New("--village is required for role officer: an information officer checks in for a village (a township's own staff are liaisons)")
			case inv.Role == store.RoleUnit && unit == "":
				return errors.New("--unit is required for role unit")
			case inv.Role != store.RoleUnit && unit != "":
				return fmt.Errorf("--unit is only for role unit, not %s", role)
			}
		}
		ledger, err := handlers.LoadLedger(c.ledger)
		if err != nil {
			return fmt.Errorf("XUNCHA_LEDGER: %w", err)
		}
		logger := c.logger(e.stderr)
		db, err := c.open(ctx, e.getenv, logger)
		if err != nil {
			return err
		}
		defer db.Close()
		if revoke != "" {
			return revokeInvitation(ctx, db, revoke, reason, e.stdout) // people_cli.go
		}
		if township != "" {
			inv.TownshipID, inv.VillageID, err = db.FindPlaceByName(ctx, township, village)
			if err != nil {
				return fmt.Errorf("invite: %w (see xuncha places list; import places first: xuncha places import FILE.csv)", err)
			}
		}
		if inv.Role == store.RoleUnit {
			if inv.Unit, err = knownUnit(ctx, db, ledger, unit); err != nil {
				return err
			}
		}
		inv.ExpiresAt = time.Now().Add(expires)
		code, err := db.CreateInvitation(ctx, inv)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "invitation code: %s\n", code)
		printGrant(e.stdout, inv, township, village, expires, c.loc)
		fmt.Fprintf(e.stdout, "send in any chat with the bot: /bind %s\n", code)
		// The Telegram username is recorded by serve; a deep link binds with one tap.
		if name, err := db.ChannelState(ctx, "telegram.username"); err == nil && name != "" {
			fmt.Fprintf(e.stdout, "Telegram link: https://t.me/%s?start=%s\n", name, code)
		}
		if qr {
			return wx.inviteQR(ctx, logger, e.stdout, code, expires)
		}
		return nil
	}
}

// knownUnit returns the name an invitation records for a unit: the Chinese name of a receiving
// unit of the ledger (named by key or either name), or an organisation a round inspects as the
// round wrote it. Anything else is refused: a unit member bound under a name nothing uses
// would never see a clue, a briefing request or a rectification task.
func knownUnit(ctx context.Context, db *store.DB, l *handlers.Ledger, unit string) (string, error) {
	unit = strings.TrimSpace(unit)
	names := make([]string, 0, len(l.Units))
	for _, u := range l.Units {
		if unit == u.Key || unit == u.ZH || strings.EqualFold(unit, u.EN) {
			return u.ZH, nil
		}
		names = append(names, u.ZH+" ("+u.Key+")")
	}
	var orgs []string
	if err := db.Update(ctx, func(tx *store.Tx) (err error) {
		orgs, err = tx.InspectedOrgs()
		return err
	}); err != nil {
		return "", err
	}
	if slices.Contains(orgs, unit) {
		return unit, nil
	}
	msg := fmt.Sprintf("--unit %q is neither a receiving unit of the ledger (%s) nor an organisation a round inspects", unit, strings.Join(names, ", "))
	if len(orgs) > 0 {
		msg += " (" + strings.Join(orgs, ", ") + ")"
	} else {
		msg += " (add it to a round first: xuncha round create --org NAME)"
	}
	return "", errors.New(msg)
}

// printGrant says what binding the code will grant, so that whoever hands it over can check it
// before it reaches anyone.
func printGrant(w io.Writer, inv *store.Invitation, township, village string, expires time.Duration, loc *time.Location) {
	names := map[store.Role]string{
		store.RoleOfficer:  handlers.T(handlers.LangZH, "role.officer"),
		store.RoleLiaison:  handlers.T(handlers.LangZH, "role.liaison"),
		store.RoleOfficial: handlers.T(handlers.LangZH, "role.official"),
		store.RoleUnit:     handlers.T(handlers.LangZH, "role.unit"),
		store.RoleAdmin:    handlers.T(handlers.LangZH, "role.admin"),
	}
	var scope string
	switch inv.Role {
	case store.RoleOfficer:
		scope = "village " + township + " / " + village + ": check-ins and tasks of that village"
	case store.RoleLiaison:
		scope = "township " + township + ": its officers' check-ins, escalations and tasks"
	case store.RoleOfficial:
		if township == "" {
			scope = "the whole county: every clue of the ledger"
		} else {
			scope = "township " + township + ": the clues of that township"
		}
	case store.RoleUnit:
		scope = "unit " + inv.Unit + ": only the clues, briefings and rectification items sent to it"
	case store.RoleAdmin:
		scope = "everything, including real-name reporters' contacts (each look audit-logged)"
		switch inv.Body {
		case store.BodyLeadingGroup:
			scope += "; sits for the inspection leading group (领导小组): classification step 4"
		case store.BodyCommittee:
			scope += "; sits for the city committee (市委): classification step 5"
		}
	}
	fmt.Fprintf(w, "role: %s (%s)\njurisdiction: %s\nexpires: %s (in %s); one use\n",
		inv.Role, names[inv.Role], scope, inv.ExpiresAt.In(loc).Format("2006-01-02 15:04 MST"), expires)
}
