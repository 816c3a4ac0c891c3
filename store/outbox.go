package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Button is one choice under a message; Data comes back when it is pressed.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data"`
}

// OutMessage is what is sent to a chat.
type OutMessage struct {
	Text    string     `json:"text"`
	Buttons [][]Button `json:"buttons,omitempty"`
	// Edit names a platform message this one replaces (the question whose button was pressed),
	// where the platform can edit messages; otherwise it is sent as a new message.
	Edit string `json:"edit,omitempty"`
	// File is a stored file sent with the text (an export for an official).
	File *Attachment `json:"file,omitempty"`
	// Codes are secrets the text shows once (a new report's query code, as the text writes it).
	// The web chat shows them large with a copy button and gives the message out once only
	// (TakeOnce), after which the stored copy no longer holds them.
	Codes []string `json:"codes,omitempty"`
	// Resident marks a message meant for the chat as a resident — its own report's query
	// code or status, a question relayed to a reporter, an announcement — which is delivered
	// even if the chat's role is withdrawn meanwhile. Any other message to a chat bound to a
	// role is a staff message, and is not delivered once the role is gone (WithdrawPerson).
	// Not stored in the payload: it decides the row's person_id.
	Resident bool `json:"-"`
}

// Delivery is one outbox row with its message opened.
type Delivery struct {
	ID       int64
	ChatID   int64
	Platform string
	Message  OutMessage
	Attempts int
	Created  time.Time
	// Address is the chat's platform id, opened with the claim so that a send does not read
	// it again; "" when the chat is gone. Never logged.
	Address string
}

// Enqueue adds a message for a chat to the outbox. A non-empty dedupeKey makes the call
// idempotent: a second row with the same key is not created and the first row's id is returned.
// A message to a chat bound to a role is tagged with its person (outbox.person_id), unless it
// is marked Resident: withdrawing the role deletes the tagged rows still pending.
func (tx *Tx) Enqueue(chatID int64, msg OutMessage, dedupeKey string) (int64, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("marshal message: %w", err)
	}
	var key any
	if dedupeKey != "" {
		key = dedupeKey
	}
	// A key queued before is a conflict, not a lookup first: the insert finds it on its way,
	// and a pass that queues thousands of new keys (the escalation ladder) saves a descent of
	// the outbox's key index for each.
	res, err := tx.exec(`INSERT INTO outbox (chat_id, platform, payload, dedupe_key, next_attempt_at, created_at, person_id)
		SELECT id, platform, ?, ?, ?, ?, CASE WHEN ? THEN NULL ELSE person_id END FROM chats WHERE id = ?
		ON CONFLICT (dedupe_key) DO NOTHING`,
		tx.keys.seal("outbox", body), key, tx.now.Unix(), tx.now.Unix(), msg.Resident, chatID)
	if err != nil {
		return 0, fmt.Errorf("enqueue: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var id int64
		if dedupeKey != "" {
			if err := tx.queryRow(`SELECT id FROM outbox WHERE dedupe_key = ?`, dedupeKey).Scan(&id); err == nil {
				return id, nil
			}
		}
		return 0, fmt.Errorf("enqueue to chat %d: %w", chatID, ErrNotFound)
	}
	id, _ := res.LastInsertId()
	return id, nil
}

// EnqueueDelivered records a message that is delivered in the answer to the platform's own
// request (a WeChat passive reply): it is stored as sent, and linked to the message it answers
// so that a retried request gets the same answer.
func (tx *Tx) EnqueueDelivered(chatID int64, msg OutMessage, platform, msgID string) (int64, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("marshal message: %w", err)
	}
	res, err := tx.exec(`INSERT INTO outbox (chat_id, platform, payload, status, next_attempt_at, created_at, sent_at)
		SELECT id, platform, ?, 'sent', ?, ?, ? FROM chats WHERE id = ?`,
		tx.keys.seal("outbox", body), tx.now.Unix(), tx.now.Unix(), tx.now.Unix(), chatID)
	if err != nil {
		return 0, fmt.Errorf("enqueue delivered: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("enqueue delivered to chat %d: %w", chatID, ErrNotFound)
	}
	id, _ := res.LastInsertId()
	if _, err := tx.exec(`UPDATE inbox SET reply_outbox_id = ? WHERE platform = ? AND msg_id = ?`, id, platform, msgID); err != nil {
		return 0, fmt.Errorf("link reply: %w", err)
	}
	return id, nil
}

// InboxReply returns the reply delivered in answer to a message, or ErrNotFound.
func (tx *Tx) InboxReply(platform, msgID string) (OutMessage, error) {
	var sealed []byte
	err := tx.queryRow(`SELECT o.payload FROM inbox i JOIN outbox o ON o.id = i.reply_outbox_id
		WHERE i.platform = ? AND i.msg_id = ?`, platform, msgID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(sealed) == 0) {
		return OutMessage{}, ErrNotFound // none, or delivered and its body cleared
	}
	if err != nil {
		return OutMessage{}, fmt.Errorf("inbox reply: %w", err)
	}
	plain, err := tx.keys.open("outbox", sealed)
	if err != nil {
		return OutMessage{}, fmt.Errorf("inbox reply: %w", err)
	}
	var m OutMessage
	if err := json.Unmarshal(plain, &m); err != nil {
		return OutMessage{}, fmt.Errorf("inbox reply: %w", err)
	}
	return m, nil
}

func (db *DB) openDelivery(d *Delivery, sealed, address []byte, created int64) error {
	plain, err := db.keys.open("outbox", sealed)
	if err != nil {
		return fmt.Errorf("outbox %d: %w", d.ID, err)
	}
	if address != nil {
		a, err := db.keys.open("chat", address)
		if err != nil {
			return fmt.Errorf("outbox %d: chat: %w", d.ID, err)
		}
		d.Address = string(a)
	}
	if err := json.Unmarshal(plain, &d.Message); err != nil {
		return fmt.Errorf("outbox %d: %w", d.ID, err)
	}
	d.Created = time.Unix(created, 0).UTC()
	return nil
}

// ClaimDue takes up to limit pending messages of a platform that are due, and leases them for
// lease: their next attempt moves past the lease so that a crash mid-send retries them later
// instead of losing them, and a second worker does not take them meanwhile.
func (db *DB) ClaimDue(ctx context.Context, platform string, lease time.Duration, limit int) ([]Delivery, error) {
	var out []Delivery
	var sealed, addresses [][]byte
	var created []int64
	// Lazy like MarkSent: a power cut can lose a lease only together with everything written
	// after it (the log keeps its order), the send's mark included, and then the message is
	// sent again, never lost.
	err := db.updateLazy(ctx, func(tx *Tx) error {
		out, sealed, addresses, created = nil, nil, nil, nil
		// A row waits while an older row of the same chat is pending but not due (retrying, or
		// leased by a send in flight): a chat receives its messages in order.
		rows, err := tx.query(`SELECT o.id, o.chat_id, o.payload, o.attempts, o.created_at, c.chat_sealed
			FROM outbox o LEFT JOIN chats c ON c.id = o.chat_id
			WHERE o.status = 'pending' AND o.platform = ? AND o.next_attempt_at <= ?
			AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.chat_id = o.chat_id AND e.status = 'pending'
				AND e.id < o.id AND e.next_attempt_at > ?)
			ORDER BY o.id LIMIT ?`,
			platform, tx.now.Unix(), tx.now.Unix(), limit)
		if err != nil {
			return fmt.Errorf("claim due: %w", err)
		}
		for rows.Next() {
			var d Delivery
			var s, a []byte
			var c int64
			if err := rows.Scan(&d.ID, &d.ChatID, &s, &d.Attempts, &c, &a); err != nil {
				rows.Close()
				return fmt.Errorf("claim due: %w", err)
			}
			d.Platform = platform
			out = append(out, d)
			sealed = append(sealed, s)
			addresses = append(addresses, a)
			created = append(created, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim due: %w", err)
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]int64, len(out))
		for i, d := range out {
			ids[i] = d.ID
		}
		// One statement leases them all: this runs in the single writer, where every
		// statement and every decryption holds up all other writes.
		until := tx.now.Add(lease).Unix()
		if _, err := tx.exec(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?1, leased_until = ?1
			WHERE id IN (SELECT value FROM json_each(?2))`, until, idList(ids)); err != nil {
			return fmt.Errorf("lease: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Opened after the commit, outside the writer.
	opened := out[:0]
	for i := range out {
		if err := db.openDelivery(&out[i], sealed[i], addresses[i], created[i]); err != nil {
			// A damaged row must not block every message behind it. Open has checked the key,
			// so this is damage, not a wrong key: give the row up, visibly.
			if _, err := db.exec(ctx, `UPDATE outbox SET status = 'dead', last_error = 'payload cannot be opened' WHERE id = ?`, out[i].ID); err != nil {
				return nil, fmt.Errorf("claim due: %w", err)
			}
			continue
		}
		out[i].Attempts++
		opened = append(opened, out[i])
	}
	return opened, nil
}

// idList is ids as a JSON array, for json_each: one statement for any number of rows.
func idList(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// MarkSent records delivered messages, any number in one statement: the dispatcher marks
// together the sends that finished while its previous mark was committing. The record is
// lazy (see updateLazy): it survives the process being killed, and a power cut can only
// make these messages be sent again.
//
// The body goes with the mark: a delivered message keeps its recipient, dedupe key, attempts
// and times (what dedupe, retries and the audit need), not its text, which was 64 % of what
// the file grew by per report, kept sealed for the whole outbox period.
func (db *DB) MarkSent(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	return db.updateLazy(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`UPDATE outbox SET status = 'sent', sent_at = ?, last_error = '', leased_until = NULL, payload = X''
			WHERE id IN (SELECT value FROM json_each(?))`, tx.now.Unix(), idList(ids)); err != nil {
			return fmt.Errorf("mark sent: %w", err)
		}
		return nil
	})
}

// MarkRetry schedules another attempt at a time; reason is an operator-facing error summary.
func (db *DB) MarkRetry(ctx context.Context, id int64, at time.Time, reason string) error {
	if _, err := db.exec(ctx, `UPDATE outbox SET next_attempt_at = ?, last_error = ?, leased_until = NULL WHERE id = ? AND status = 'pending'`,
		at.Unix(), reason, id); err != nil {
		return fmt.Errorf("mark retry: %w", err)
	}
	return nil
}

// Release hands a claimed message back untried: it is due again at once, and the claim does
// not count as an attempt.
func (db *DB) Release(ctx context.Context, id int64) error {
	if _, err := db.exec(ctx, `UPDATE outbox SET next_attempt_at = ?, attempts = MAX(attempts - 1, 0), leased_until = NULL
		WHERE id = ? AND status = 'pending'`, db.Now().Unix(), id); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// ReleaseInterrupted hands back, due at once, the rows of a platform that a previous process
// had taken for sending when it stopped. Call it at start, before any send: one process owns a
// database. Such a send may or may not have reached the platform; resending it is the one
// at-least-once window (a copy is preferred to a lost query code).
func (db *DB) ReleaseInterrupted(ctx context.Context, platform string) (int, error) {
	res, err := db.exec(ctx, `UPDATE outbox SET next_attempt_at = ?, leased_until = NULL
		WHERE platform = ? AND status = 'pending' AND leased_until IS NOT NULL`, db.Now().Unix(), platform)
	if err != nil {
		return 0, fmt.Errorf("release interrupted: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// MarkDead gives up on a message; it stays in the table, with its reason, for operators.
func (db *DB) MarkDead(ctx context.Context, id int64, reason string) error {
	if _, err := db.exec(ctx, `UPDATE outbox SET status = 'dead', last_error = ?, leased_until = NULL WHERE id = ?`, reason, id); err != nil {
		return fmt.Errorf("mark dead: %w", err)
	}
	return nil
}

// Mailbox returns the pending messages of a chat with ids above after, oldest first. The web
// chat delivers by polling: its outbox rows are its mailbox.
func (db *DB) Mailbox(ctx context.Context, chatID, after int64, limit int) ([]Delivery, error) {
	rows, err := db.query(ctx, `SELECT id, platform, payload, attempts, created_at FROM outbox
		WHERE chat_id = ? AND id > ? AND status = 'pending' ORDER BY id LIMIT ?`, chatID, after, limit)
	return collect("mailbox", rows, err, func(rows *sql.Rows, d *Delivery) error {
		d.ChatID = chatID
		var sealed []byte
		var created int64
		if err := rows.Scan(&d.ID, &d.Platform, &sealed, &d.Attempts, &created); err != nil {
			return err
		}
		return db.openDelivery(d, sealed, nil, created)
	})
}

// AckMailbox marks a chat's messages up to and including id as delivered.
func (db *DB) AckMailbox(ctx context.Context, chatID, upTo int64) error {
	if _, err := db.exec(ctx, `UPDATE outbox SET status = 'sent', sent_at = ? WHERE chat_id = ? AND id <= ? AND status = 'pending'`,
		db.Now().Unix(), chatID, upTo); err != nil {
		return fmt.Errorf("ack mailbox: %w", err)
	}
	return nil
}

// TakeOnce marks a chat's pending message delivered for a reader that shows it now, and
// reports whether this call took it: of two polls that read the message, only one shows it.
// A message with codes is stored again without them (each replaced by codeGone), so that
// neither the mailbox nor a copy of the database gives them out a second time.
func (db *DB) TakeOnce(ctx context.Context, d Delivery) (bool, error) {
	m := d.Message
	for _, c := range m.Codes {
		m.Text = strings.ReplaceAll(m.Text, c, codeGone)
	}
	m.Codes = nil
	body, err := json.Marshal(m)
	if err != nil {
		return false, fmt.Errorf("take once: %w", err)
	}
	res, err := db.exec(ctx, `UPDATE outbox SET status = 'sent', sent_at = ?, payload = ? WHERE id = ? AND chat_id = ? AND status = 'pending'`,
		db.Now().Unix(), db.keys.seal("outbox", body), d.ID, d.ChatID)
	return changedOne("take once", res, err)
}

// codeGone stands in a delivered message for a code it showed once.
const codeGone = "•••• •••• •••• ••••"

// OutboxFile returns the file attached to an outbox message of a chat, with its bytes. The
// chat must be the message's recipient: a file is only ever given to the chat it was sent to.
// A staff message's file (a ledger export, a briefing) is given only while the chat still
// holds the role it was sent to: the web chat serves files again on request, and a browser
// kept after its role was withdrawn (a lost phone) must not download the ledger it once got.
func (db *DB) OutboxFile(ctx context.Context, chatID, outboxID int64) (Attachment, []byte, error) {
	var sealed []byte
	err := db.queryRow(ctx, `SELECT o.payload FROM outbox o JOIN chats c ON c.id = o.chat_id
		WHERE o.id = ? AND o.chat_id = ? AND (o.person_id IS NULL OR o.person_id = c.person_id)`, outboxID, chatID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(sealed) == 0) {
		return Attachment{}, nil, ErrNotFound
	}
	if err != nil {
		return Attachment{}, nil, fmt.Errorf("outbox file: %w", err)
	}
	d := Delivery{ID: outboxID}
	if err := db.openDelivery(&d, sealed, nil, 0); err != nil {
		return Attachment{}, nil, err
	}
	if d.Message.File == nil {
		return Attachment{}, nil, ErrNotFound
	}
	data, _, err := db.Blob(ctx, d.Message.File.SHA256)
	if err != nil {
		return Attachment{}, nil, err
	}
	return *d.Message.File, data, nil
}

// OutboxStats summarises the outbox for health checks and metrics.
type OutboxStats struct {
	Pending, Dead int
	// Undeliverable counts the dead rows no allowed means could deliver (a WeChat message
	// outside the 48-hour window with no template): officials must hear of these.
	Undeliverable int
	OldestPending time.Time
}

// OutboxStats counts pending and dead messages.
func (db *DB) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var s OutboxStats
	var oldest *int64
	err := db.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM outbox WHERE status = 'pending'),
		(SELECT COUNT(*) FROM outbox WHERE status = 'dead'),
		(SELECT COUNT(*) FROM outbox WHERE status = 'dead' AND last_error LIKE 'undeliverable%'),
		(SELECT MIN(created_at) FROM outbox WHERE status = 'pending')`).Scan(&s.Pending, &s.Dead, &s.Undeliverable, &oldest)
	if err != nil {
		return s, fmt.Errorf("outbox stats: %w", err)
	}
	if oldest != nil {
		s.OldestPending = time.Unix(*oldest, 0).UTC()
	}
	return s, nil
}
