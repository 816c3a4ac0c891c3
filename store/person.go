package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role is what a person may do. A chat with no person is a resident.
type Role string

// The roles an invitation can grant.
const (
	RoleOfficer  Role = "officer"  // 巡察监督信息员, village information officer
	RoleLiaison  Role = "liaison"  // 巡察联络员, township liaison
	RoleOfficial Role = "official" // 巡察组/巡察办, inspection staff
	RoleUnit     Role = "unit"     // 承办单位, receiving unit
	RoleAdmin    Role = "admin"
)

// Roles lists every role an invitation can grant.
var Roles = []Role{RoleOfficer, RoleLiaison, RoleOfficial, RoleUnit, RoleAdmin}

// Bodies an administrator may belong to: the two that adjust and approve the village
// classification (steps 4 and 5), each held to its own (migration 0026).
const (
	BodyLeadingGroup = "leading_group" // 巡察工作领导小组
	BodyCommittee    = "committee"     // 市委
)

// ValidBody reports whether b is a body ("" for none).
func ValidBody(b string) bool { return b == "" || b == BodyLeadingGroup || b == BodyCommittee }

// ValidRole reports whether r is one of Roles.
func ValidRole(r Role) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Person is someone who holds a role, bound to one or more chats by an invitation.
type Person struct {
	ID         int64
	Role       Role
	TownshipID int64 // 0: the whole county
	VillageID  int64
	Unit       string
	Body       string // for an administrator: the body they sit for (BodyLeadingGroup, BodyCommittee), or ""
	CreatedAt  time.Time
	// WithdrawnAt is when the role was taken away (zero: it holds). A withdrawn person's
	// chats are unbound, so no step finds them; the row stays for the records that name them.
	WithdrawnAt time.Time
}

// Withdrawn reports whether the person's role was taken away.
func (p *Person) Withdrawn() bool { return !p.WithdrawnAt.IsZero() }

// Invitation errors. ErrInvitationInvalid covers unknown and forged codes alike.
var (
	ErrInvitationInvalid = errors.New("invitation code invalid")
	ErrInvitationUsed    = errors.New("invitation already used")
	ErrInvitationExpired = errors.New("invitation expired")
	ErrInvitationRevoked = errors.New("invitation revoked")
	ErrAlreadyBound      = errors.New("chat already bound to a person")
)

// Invitation grants a role and jurisdiction to whoever redeems its code first.
type Invitation struct {
	ID         int64
	Role       Role
	TownshipID int64
	VillageID  int64
	Unit       string
	Body       string // for role admin: the body the person will sit for, or ""
	Note       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     time.Time
	RevokedAt  time.Time
}

// describe is an invitation's grant for the audit log: role, jurisdiction (ids), unit, note.
func (inv *Invitation) describe() string {
	s := "role=" + string(inv.Role)
	if inv.TownshipID != 0 {
		s += fmt.Sprintf(" township=%d", inv.TownshipID)
	}
	if inv.VillageID != 0 {
		s += fmt.Sprintf(" village=%d", inv.VillageID)
	}
	if inv.Body != "" {
		s += " body=" + inv.Body
	}
	if inv.Unit != "" {
		s += " unit=" + inv.Unit
	}
	if inv.Note != "" {
		s += " note=" + inv.Note
	}
	return s
}

// invitationAlphabet is lower-case base32: it survives a Telegram deep link (A-Za-z0-9_-) and
// is case-insensitive when typed.
var invitationEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NormalizeInvitationCode lower-cases a typed code and removes spaces and dashes.
func NormalizeInvitationCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
}

// CreateInvitation stores inv and returns its one-time code. Only the code's hash is kept, so
// the code cannot be read back from the database. The issue is audit-logged (invitation.issued,
// channel cli: invitations are issued only from the command line), with the note saying whom
// it is for, so that people list and the log can tell who a person is.
func (db *DB) CreateInvitation(ctx context.Context, inv *Invitation) (string, error) {
	if !ValidRole(inv.Role) {
		return "", fmt.Errorf("unknown role %q", inv.Role)
	}
	if !ValidBody(inv.Body) || (inv.Body != "" && inv.Role != RoleAdmin) {
		return "", fmt.Errorf("body %q is for an administrator of the leading group or the city committee", inv.Body)
	}
	raw := make([]byte, 10) // 80 bits: guessing is hopeless, and attempts are rate-limited too
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	code := invitationEncoding.EncodeToString(raw)
	err := db.Update(ctx, func(tx *Tx) error {
		inv.CreatedAt = tx.now
		res, err := tx.exec(`INSERT INTO invitations (code_hash, role, township_id, village_id, unit, body, note, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, tx.keys.hash("invitation", code), inv.Role, nullInt(inv.TownshipID),
			nullInt(inv.VillageID), inv.Unit, inv.Body, inv.Note, tx.now.Unix(), inv.ExpiresAt.Unix())
		if err != nil {
			return fmt.Errorf("insert invitation: %w", err)
		}
		inv.ID, _ = res.LastInsertId()
		return tx.Audit(0, "cli", "invitation.issued", fmt.Sprintf("invitation:%d", inv.ID), inv.describe())
	})
	if err != nil {
		return "", err
	}
	return code, nil
}

// RedeemInvitation binds a chat to a new person holding the invitation's role. The code works
// once; a used, expired, revoked or unknown code returns the matching error and changes nothing.
func (tx *Tx) RedeemInvitation(code string, chatID int64) (*Person, error) {
	var (
		inv               Invitation
		township, village sql.NullInt64
		expires           int64
		used, revoked     sql.NullInt64
	)
	err := tx.queryRow(`SELECT id, role, township_id, village_id, unit, body, expires_at, used_at, revoked_at
		FROM invitations WHERE code_hash = ?`, tx.keys.hash("invitation", NormalizeInvitationCode(code))).
		Scan(&inv.ID, &inv.Role, &township, &village, &inv.Unit, &inv.Body, &expires, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrInvitationInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("find invitation: %w", err)
	}
	switch {
	case revoked.Valid:
		return nil, ErrInvitationRevoked
	case used.Valid:
		return nil, ErrInvitationUsed
	case tx.now.Unix() >= expires:
		return nil, ErrInvitationExpired
	}
	var bound sql.NullInt64
	var platform string
	if err := tx.queryRow(`SELECT person_id, platform FROM chats WHERE id = ?`, chatID).Scan(&bound, &platform); err != nil {
		return nil, fmt.Errorf("find chat: %w", err)
	}
	if bound.Valid {
		return nil, ErrAlreadyBound
	}
	// used_at IS NULL in the WHERE makes the redemption safe even if two chats race for it.
	res, err := tx.exec(`UPDATE invitations SET used_at = ? WHERE id = ? AND used_at IS NULL`, tx.now.Unix(), inv.ID)
	if err != nil {
		return nil, fmt.Errorf("use invitation: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, ErrInvitationUsed
	}
	p := &Person{Role: inv.Role, TownshipID: township.Int64, VillageID: village.Int64, Unit: inv.Unit, Body: inv.Body, CreatedAt: tx.now}
	res, err = tx.exec(`INSERT INTO people (role, township_id, village_id, unit, body, invitation_id, created_at, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Role, nullInt(p.TownshipID), nullInt(p.VillageID), p.Unit, p.Body, inv.ID, tx.now.Unix(), platform)
	if err != nil {
		return nil, fmt.Errorf("insert person: %w", err)
	}
	p.ID, _ = res.LastInsertId()
	if _, err := tx.exec(`UPDATE chats SET person_id = ? WHERE id = ?`, p.ID, chatID); err != nil {
		return nil, fmt.Errorf("bind chat: %w", err)
	}
	return p, nil
}

// FindPerson returns a person by id.
func (tx *Tx) FindPerson(id int64) (*Person, error) {
	p := &Person{ID: id}
	var township, village, withdrawn sql.NullInt64
	var created int64
	err := tx.queryRow(`SELECT role, township_id, village_id, unit, body, created_at, withdrawn_at FROM people WHERE id = ?`, id).
		Scan(&p.Role, &township, &village, &p.Unit, &p.Body, &created, &withdrawn)
	if err != nil {
		return nil, rowErr("find person", err)
	}
	p.TownshipID, p.VillageID, p.CreatedAt = township.Int64, village.Int64, time.Unix(created, 0).UTC()
	p.WithdrawnAt = unixOrZero(withdrawn)
	return p, nil
}

// ChatsOfRoles returns the reachable chats of people holding one of roles whose jurisdiction
// covers the township (a person with no township covers the whole county).
func (tx *Tx) ChatsOfRoles(townshipID int64, roles ...Role) ([]int64, error) {
	rs, err := tx.RecipientsOfRoles(townshipID, roles...)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.ChatID
	}
	return ids, nil
}
