package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Round modes: how a village is inspected.
const (
	ModeDirect   = "direct"   // 直接巡村, key villages
	ModeTogether = "together" // 乡村一体巡, general villages with their township
)

// RoundPlan is everything a round is created with. Townships cover all their villages; the
// mode of each comes from its class at creation time.
type RoundPlan struct {
	Round
	Groups       []string
	Orgs         []string
	TownshipIDs  []int64
	VillageIDs   []int64
	Announcement *Announcement // nil: no announcement
}

// RoundPlace is a village a round covers.
type RoundPlace struct {
	TownshipID int64
	VillageID  int64
	Township   string
	Village    string
	Mode       string
}

// RoundGroup is an inspection group of a round.
type RoundGroup struct {
	ID      int64
	Name    string
	Members []int64 // person ids
}

// RoundInfo is a round with what hangs off it.
type RoundInfo struct {
	Round
	AnnouncementID int64
	Groups         []RoundGroup
	Orgs           []string
	Places         []RoundPlace
}

// CreateRoundPlan creates a round, its groups, organisations, places and announcement.
func (tx *Tx) CreateRoundPlan(p *RoundPlan) error {
	if err := tx.CreateRound(&p.Round); err != nil {
		return err
	}
	for _, g := range p.Groups {
		if _, err := tx.exec(`INSERT INTO round_groups (round_id, name) VALUES (?, ?)`, p.ID, g); err != nil {
			return fmt.Errorf("insert round group: %w", err)
		}
	}
	for _, o := range p.Orgs {
		if _, err := tx.exec(`INSERT OR IGNORE INTO round_orgs (round_id, org) VALUES (?, ?)`, p.ID, o); err != nil {
			return fmt.Errorf("insert round org: %w", err)
		}
	}
	var areas []Area
	add := func(v Village) error {
		mode := ModeTogether
		if v.Class == "key" {
			mode = ModeDirect
		}
		_, err := tx.exec(`INSERT OR IGNORE INTO round_places (round_id, township_id, village_id, mode) VALUES (?, ?, ?, ?)`,
			p.ID, v.TownshipID, v.ID, mode)
		if err != nil {
			return fmt.Errorf("insert round place: %w", err)
		}
		return nil
	}
	for _, tw := range p.TownshipIDs {
		vs, err := tx.Villages(tw)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if err := add(v); err != nil {
				return err
			}
		}
		areas = append(areas, Area{TownshipID: tw})
	}
	for _, id := range p.VillageIDs {
		v, err := tx.FindVillage(id)
		if err != nil {
			return err
		}
		if err := add(*v); err != nil {
			return err
		}
		areas = append(areas, Area{TownshipID: v.TownshipID, VillageID: v.ID})
	}
	if a := p.Announcement; a != nil {
		if len(a.Areas) == 0 {
			a.Areas = areas
		}
		if err := tx.InsertAnnouncement(a); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE ledger_rounds SET announcement_id = ? WHERE id = ?`, a.ID, p.ID); err != nil {
			return fmt.Errorf("link announcement: %w", err)
		}
	}
	return nil
}

// AddRoundMember puts a person in a group of a round.
func (tx *Tx) AddRoundMember(roundID int64, group string, personID int64) error {
	var gid int64
	err := tx.queryRow(`SELECT id FROM round_groups WHERE round_id = ? AND name = ?`, roundID, group).Scan(&gid)
	if err != nil {
		return rowErr("find group", err)
	}
	if _, err := tx.FindPerson(personID); err != nil {
		return err
	}
	if _, err := tx.exec(`INSERT OR IGNORE INTO round_members (group_id, person_id) VALUES (?, ?)`, gid, personID); err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

// Rounds lists every round, newest first.
func (tx *Tx) Rounds() ([]Round, error) {
	rows, err := tx.query(`SELECT id, name, starts_at, ends_at FROM ledger_rounds ORDER BY starts_at DESC, id DESC`)
	return collect("rounds", rows, err, func(rows *sql.Rows, r *Round) error {
		return rows.Scan(&r.ID, &r.Name, unix(&r.StartsAt), unix(&r.EndsAt))
	})
}

// RoundDetail returns a round with its groups, organisations and places.
func (tx *Tx) RoundDetail(id int64) (*RoundInfo, error) {
	info := &RoundInfo{}
	var s, e int64
	var ann sql.NullInt64
	err := tx.queryRow(`SELECT id, name, starts_at, ends_at, announcement_id FROM ledger_rounds WHERE id = ?`, id).
		Scan(&info.ID, &info.Name, &s, &e, &ann)
	if err != nil {
		return nil, rowErr("round detail", err)
	}
	info.StartsAt, info.EndsAt, info.AnnouncementID = time.Unix(s, 0).UTC(), time.Unix(e, 0).UTC(), ann.Int64
	rows, err := tx.query(`SELECT g.id, g.name, IFNULL(m.person_id, 0) FROM round_groups g
		LEFT JOIN round_members m ON m.group_id = g.id WHERE g.round_id = ? ORDER BY g.id, m.person_id`, id)
	if err != nil {
		return nil, fmt.Errorf("round groups: %w", err)
	}
	for rows.Next() {
		var gid, pid int64
		var name string
		if err := rows.Scan(&gid, &name, &pid); err != nil {
			rows.Close()
			return nil, fmt.Errorf("round groups: %w", err)
		}
		if n := len(info.Groups); n == 0 || info.Groups[n-1].ID != gid {
			info.Groups = append(info.Groups, RoundGroup{ID: gid, Name: name})
		}
		if pid != 0 {
			g := &info.Groups[len(info.Groups)-1]
			g.Members = append(g.Members, pid)
		}
	}
	rows.Close()
	if info.Orgs, err = column[string](tx, "round orgs", `SELECT org FROM round_orgs WHERE round_id = ? ORDER BY org`, id); err != nil {
		return nil, err
	}
	rows, err = tx.query(`SELECT p.township_id, p.village_id, t.name, v.name, p.mode FROM round_places p
		JOIN townships t ON t.id = p.township_id JOIN villages v ON v.id = p.village_id
		WHERE p.round_id = ? ORDER BY t.name, p.mode, v.name`, id)
	if err != nil {
		return nil, fmt.Errorf("round places: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pl RoundPlace
		if err := rows.Scan(&pl.TownshipID, &pl.VillageID, &pl.Township, &pl.Village, &pl.Mode); err != nil {
			return nil, fmt.Errorf("round places: %w", err)
		}
		info.Places = append(info.Places, pl)
	}
	return info, rows.Err()
}

// RoundOrgs lists the organisations a round inspects.
func (tx *Tx) RoundOrgs(roundID int64) ([]string, error) {
	return column[string](tx, "round orgs", `SELECT org FROM round_orgs WHERE round_id = ? ORDER BY org`, roundID)
}

// InspectedOrgs lists the organisations any round inspects, each once: with the ledger's
// receiving units, the units an invitation may name.
func (tx *Tx) InspectedOrgs() ([]string, error) {
	return column[string](tx, "round orgs", `SELECT DISTINCT org FROM round_orgs ORDER BY org`)
}

// GroupRecipientsAt returns the chats of the group members of every round under way at t that
// covers the village: a report from there is routed to them.
func (tx *Tx) GroupRecipientsAt(villageID int64, t time.Time) ([]Recipient, error) {
	rows, err := tx.query(`SELECT DISTINCT c.id, c.lang FROM round_places p
		JOIN ledger_rounds r ON r.id = p.round_id
		JOIN round_groups g ON g.round_id = r.id
		JOIN round_members m ON m.group_id = g.id
		JOIN chats c ON c.person_id = m.person_id
		WHERE p.village_id = ? AND r.starts_at <= ? AND r.ends_at > ? AND c.unreachable = 0 ORDER BY c.id`,
		villageID, t.Unix(), t.Unix())
	if err != nil {
		return nil, fmt.Errorf("group recipients: %w", err)
	}
	return scanRecipients(rows)
}

// RoundMemberRecipients returns the chats of every member of a round's groups.
func (tx *Tx) RoundMemberRecipients(roundID int64) ([]Recipient, error) {
	rows, err := tx.query(`SELECT DISTINCT c.id, c.lang FROM round_groups g JOIN round_members m ON m.group_id = g.id
		JOIN chats c ON c.person_id = m.person_id WHERE g.round_id = ? AND c.unreachable = 0 ORDER BY c.id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("round members: %w", err)
	}
	return scanRecipients(rows)
}

// PeopleMatching lists the people of a role, and of a unit when unit is not empty: meeting
// attendees are named this way. A person whose role was withdrawn is not one of them.
func (tx *Tx) PeopleMatching(role Role, unit string) ([]int64, error) {
	q, args := `SELECT id FROM people WHERE role = ? AND withdrawn_at IS NULL`, []any{role}
	if unit != "" {
		q, args = q+` AND unit = ?`, append(args, unit)
	}
	return column[int64](tx, "people matching", q+` ORDER BY id`, args...)
}

// inList returns "?, ?, ?" for n values.
func inList(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }
