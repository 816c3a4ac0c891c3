package store

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// The keeper of a clue (台账管理人): the official who answers for it, gets the ladder's nudges
// and the office's notices about it. Before this the keeper was whoever acted first and was
// shown nowhere; now it is assigned and changed on purpose, and every change is a timeline row.

// Keeper is a person who may keep clues: an official or an administrator whose role holds.
type Keeper struct {
	ID         int64
	Role       Role
	TownshipID int64  // 0: the whole county
	Note       string // the invitation's note: whom it was issued to
}

// Label names the keeper for officials: the invitation's note and the person's number.
func (k *Keeper) Label() string {
	if k.Note == "" {
		return "#" + strconv.FormatInt(k.ID, 10)
	}
	return k.Note + "（#" + strconv.FormatInt(k.ID, 10) + "）"
}

// Covers reports whether the keeper's jurisdiction covers a township's clues.
func (k *Keeper) Covers(townshipID int64) bool {
	return k.Role == RoleAdmin || k.TownshipID == 0 || k.TownshipID == townshipID
}

const keeperSelect = `SELECT p.id, p.role, IFNULL(p.township_id, 0), IFNULL(i.note, '')
	FROM people p LEFT JOIN invitations i ON i.id = p.invitation_id`

// maxKeeperCandidates bounds the choice offered in chat (one button each).
const maxKeeperCandidates = 30

// KeeperCandidates lists who may keep a clue of a township: its officials, the county's
// officials and the administrators, whose roles hold, by id.
func (tx *Tx) KeeperCandidates(townshipID int64) ([]Keeper, error) {
	rows, err := tx.query(keeperSelect+` WHERE p.role IN ('official', 'admin') AND p.withdrawn_at IS NULL
		AND (p.role = 'admin' OR p.township_id IS NULL OR p.township_id = ?) ORDER BY p.id LIMIT ?`, townshipID, maxKeeperCandidates)
	return collect("keeper candidates", rows, err, func(rows *sql.Rows, k *Keeper) error {
		return rows.Scan(&k.ID, &k.Role, &k.TownshipID, &k.Note)
	})
}

// FindKeeper returns a person who may keep clues; ErrNotFound for anyone else (an unknown id,
// another role, a withdrawn role).
func (tx *Tx) FindKeeper(id int64) (*Keeper, error) {
	k := &Keeper{}
	err := tx.queryRow(keeperSelect+` WHERE p.id = ? AND p.role IN ('official', 'admin') AND p.withdrawn_at IS NULL`, id).
		Scan(&k.ID, &k.Role, &k.TownshipID, &k.Note)
	if err != nil {
		return nil, rowErr("find keeper", err)
	}
	return k, nil
}

// KeeperLabel names a clue's keeper by id, withdrawn or not ("" for none): a clue still
// shows who kept it after the role was taken away, until someone else is assigned.
func (tx *Tx) KeeperLabel(id int64) (string, error) {
	if id == 0 {
		return "", nil
	}
	k := &Keeper{}
	err := tx.queryRow(keeperSelect+` WHERE p.id = ?`, id).Scan(&k.ID, &k.Role, &k.TownshipID, &k.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return "#" + strconv.FormatInt(id, 10), nil
	}
	if err != nil {
		return "", fmt.Errorf("keeper label: %w", err)
	}
	return k.Label(), nil
}

// ErrKeeperScope is returned when the chosen keeper's jurisdiction does not cover the clue.
var ErrKeeperScope = errors.New("keeper does not cover the clue's township")

// SetKeeper makes k the keeper of a clue and records it in the timeline, by the person who
// assigned it (0: the command line).
func (tx *Tx) SetKeeper(clueID int64, k *Keeper, by int64) error {
	var township int64
	if err := tx.queryRow(`SELECT IFNULL(township_id, 0) FROM clues WHERE id = ?`, clueID).Scan(&township); err != nil {
		return errNoRows(err, "set keeper")
	}
	if !k.Covers(township) {
		return ErrKeeperScope
	}
	id := k.ID
	if err := tx.UpdateClue(clueID, ClueUpdate{KeeperID: &id}); err != nil {
		return err
	}
	return tx.AddClueEvent(clueID, by, "keeper", k.Label())
}
