package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// People management: who holds a role, and taking it away. A role is withdrawn in one
// transaction that marks the person (people.withdrawn_at), unbinds their chats, drops the
// chats' conversations (a half-done ledger step must not outlive the role) and deletes the
// staff messages still pending for them. Every recipient list joins chats to people, so an
// unbound chat is on none of them; the lists that read people alone skip withdrawn_at. The
// engine reads a chat's person at every step, so the next message is a resident's.

// ErrAlreadyWithdrawn is returned when the person's role was withdrawn before.
var ErrAlreadyWithdrawn = errors.New("role already withdrawn")

// Withdrawal is what taking a role away did.
type Withdrawal struct {
	PersonID  int64
	Role      Role
	Chats     int // chats unbound: residents again from their next message
	Cancelled int // pending staff messages deleted, never to be delivered
}

// PersonInfo is one line of the people list: who holds (or held) a role, where, on which
// channel, since when and when last seen. It never carries a chat id.
type PersonInfo struct {
	Person
	Township, Village string // names; "" for none
	Note              string // the invitation's note: whom it was issued to
	Channel           string // the platform the person bound on
	// LastActive is the day (UTC) a bound chat last wrote: chats keep their times to the day
	// (see day). Zero when no chat is bound, as after a withdrawal.
	LastActive time.Time
}

// ListPeople lists every person who was ever bound, withdrawn ones too, by id.
func (db *DB) ListPeople(ctx context.Context) ([]PersonInfo, error) {
	rows, err := db.query(ctx, `SELECT p.id, p.role, IFNULL(p.township_id, 0), IFNULL(p.village_id, 0), p.unit, p.body,
			p.created_at, p.withdrawn_at, p.channel, IFNULL(t.name, ''), IFNULL(v.name, ''), IFNULL(i.note, ''),
			(SELECT MAX(c.last_seen_at) FROM chats c WHERE c.person_id = p.id)
		FROM people p
		LEFT JOIN townships t ON t.id = p.township_id
		LEFT JOIN villages v ON v.id = p.village_id
		LEFT JOIN invitations i ON i.id = p.invitation_id
		ORDER BY p.id`)
	return collect("list people", rows, err, func(rows *sql.Rows, pi *PersonInfo) error {
		return rows.Scan(&pi.ID, &pi.Role, &pi.TownshipID, &pi.VillageID, &pi.Unit, &pi.Body, unix(&pi.CreatedAt), unixNull(&pi.WithdrawnAt),
			&pi.Channel, &pi.Township, &pi.Village, &pi.Note, unixNull(&pi.LastActive))
	})
}

// WithdrawPerson takes a person's role away (see the top of this file). channel is where the
// order came from ("cli"); reason is written to the audit log (person.withdrawn). It returns
// ErrNotFound for an unknown person and ErrAlreadyWithdrawn for one withdrawn before.
//
// A message a delivery worker had already taken for sending when this commits may still reach
// the chat: a send in flight cannot be called back. Everything still queued is deleted.
func (db *DB) WithdrawPerson(ctx context.Context, personID int64, channel, reason string) (*Withdrawal, error) {
	var w *Withdrawal
	err := db.Update(ctx, func(tx *Tx) (err error) {
		w, err = tx.withdraw(personID, channel, reason)
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func (tx *Tx) withdraw(personID int64, channel, reason string) (*Withdrawal, error) {
	p, err := tx.FindPerson(personID)
	if err != nil {
		return nil, err
	}
	if p.Withdrawn() {
		return nil, ErrAlreadyWithdrawn
	}
	w := &Withdrawal{PersonID: p.ID, Role: p.Role}
	if _, err := tx.exec(`UPDATE people SET withdrawn_at = ? WHERE id = ?`, tx.now.Unix(), p.ID); err != nil {
		return nil, fmt.Errorf("withdraw: %w", err)
	}
	res, err := tx.exec(`DELETE FROM outbox WHERE person_id = ? AND status = 'pending'`, p.ID)
	if err != nil {
		return nil, fmt.Errorf("withdraw: cancel messages: %w", err)
	}
	n, _ := res.RowsAffected()
	w.Cancelled = int(n)
	if _, err := tx.exec(`DELETE FROM conversations WHERE chat_id IN (SELECT id FROM chats WHERE person_id = ?)`, p.ID); err != nil {
		return nil, fmt.Errorf("withdraw: conversations: %w", err)
	}
	// The chat rows stay (a resident's history, the WeChat window, the web chat's cookie);
	// only their role goes. Their times are not touched: a chat's row keeps its day precision.
	res, err = tx.exec(`UPDATE chats SET person_id = NULL WHERE person_id = ?`, p.ID)
	if err != nil {
		return nil, fmt.Errorf("withdraw: unbind chats: %w", err)
	}
	n, _ = res.RowsAffected()
	w.Chats = int(n)
	detail := fmt.Sprintf("role=%s chats=%d cancelled=%d reason=%s", p.Role, w.Chats, w.Cancelled, reason)
	if err := tx.Audit(0, channel, "person.withdrawn", fmt.Sprintf("person:%d", p.ID), detail); err != nil {
		return nil, err
	}
	return w, nil
}

// RevokeInvitation makes a code unusable, audit-logged (invitation.revoked) with the reason.
// A code already used also takes away the role it granted, in the same transaction: the
// returned Withdrawal says what that did; it is nil for an unused code, or when the person's
// role was withdrawn before. An unknown or already revoked code is ErrNotFound.
func (db *DB) RevokeInvitation(ctx context.Context, code, channel, reason string) (*Withdrawal, error) {
	var w *Withdrawal
	err := db.Update(ctx, func(tx *Tx) error {
		w = nil
		var id int64
		var used sql.NullInt64
		err := tx.queryRow(`SELECT id, used_at FROM invitations WHERE code_hash = ? AND revoked_at IS NULL`,
			tx.keys.hash("invitation", NormalizeInvitationCode(code))).Scan(&id, &used)
		if err != nil {
			return rowErr("revoke invitation", err)
		}
		if _, err := tx.exec(`UPDATE invitations SET revoked_at = ? WHERE id = ?`, tx.now.Unix(), id); err != nil {
			return fmt.Errorf("revoke invitation: %w", err)
		}
		detail := "unused"
		if used.Valid {
			detail = "used"
		}
		if reason != "" {
			detail += " reason=" + reason
		}
		if err := tx.Audit(0, channel, "invitation.revoked", fmt.Sprintf("invitation:%d", id), detail); err != nil {
			return err
		}
		if !used.Valid {
			return nil
		}
		var person int64
		err = tx.queryRow(`SELECT id FROM people WHERE invitation_id = ?`, id).Scan(&person)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // used, but its redemption left no person (cannot happen: one transaction)
		}
		if err != nil {
			return fmt.Errorf("revoke invitation: %w", err)
		}
		if reason == "" {
			reason = fmt.Sprintf("invitation %d revoked", id)
		}
		w, err = tx.withdraw(person, channel, reason)
		if errors.Is(err, ErrAlreadyWithdrawn) {
			w, err = nil, nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// CanonicalizeUnits rewrites the unit of unit members and of unused invitations written by an
// alias (a key such as "case1", an English name) to the unit's canonical name. Invitations used
// to keep the unit as typed while clues, letters and the ladder's recipient lists use the
// Chinese name: a member invited by key got the chat's notices but never a letter. It returns
// how many rows changed; serve runs it at start with the ledger's aliases.
func (db *DB) CanonicalizeUnits(ctx context.Context, aliases map[string]string) (int64, error) {
	var n int64
	err := db.Update(ctx, func(tx *Tx) error {
		for alias, name := range aliases {
			for _, q := range []string{
				`UPDATE people SET unit = ? WHERE role = 'unit' AND unit = ?`,
				`UPDATE invitations SET unit = ? WHERE role = 'unit' AND unit = ?`,
			} {
				res, err := tx.exec(q, name, alias)
				if err != nil {
					return fmt.Errorf("canonical units: %w", err)
				}
				k, _ := res.RowsAffected()
				n += k
			}
		}
		return nil
	})
	return n, err
}
