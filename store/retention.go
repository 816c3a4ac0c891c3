package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Retention holds how long data is kept. A zero period keeps that data for ever.
type Retention struct {
	// Link: a closed (struck-off, 办结销号) clue's sealed link from its report to the reporter's
	// chat is destroyed this long after the clue was closed, together with the messages that
	// name the report (their dedupe keys and recipient would rebuild the link).
	Link time.Duration
	// Contact: a closed clue's real-name contact details (name and phone) are erased this long
	// after the clue was closed.
	Contact time.Duration
	// Draft: a conversation untouched this long is dropped; a half-written report may hold a
	// name and phone.
	Draft time.Duration
	// Outbox: messages queued or sent this long ago are deleted, delivered or not (a summary
	// shown to a real-name reporter holds their name and phone); 0 takes the shorter of Link
	// and Contact.
	Outbox time.Duration
}

// DeliveryRetention is how long the records that tie a chat to the moment it wrote are kept:
// processed inbox ids (a retry comes within minutes; a browser's resend within hours), step
// replies once delivered or given up (a WeChat retry gets its passive reply again), the WeChat
// reply window (48 hours is WeChat's own) and failed-code records (counted over 15 minutes).
// Past it they are purged whatever the other periods say: with the database and the key, a
// second-precise time on a chat's row joins the chat to the report it filed, and a no-link
// report must join to nothing.
const DeliveryRetention = 48 * time.Hour

// blobGrace keeps an unreferenced file this long: a report being written references its files
// only from the (sealed) draft, which purge reads, but a day's margin costs nothing.
const blobGrace = 24 * time.Hour

// PurgeResult says what a purge removed, or would remove on a dry run. It names clues by their
// ledger numbers and never names a person or a chat.
type PurgeResult struct {
	LinkClues    []string // clues whose report's link to the reporter's chat went
	ContactClues []string // clues whose report's real-name contact details went
	Drafts       int      // conversations dropped
	Outbox       int      // outbox rows deleted
	Inbox        int      // processed inbox ids deleted (DeliveryRetention)
	Blobs        int      // files referenced by nothing, deleted
	BlobBytes    int64
	// Checkpoint is the result of PRAGMA wal_checkpoint(TRUNCATE) after the purge: Busy is
	// true when a reader kept the WAL from being emptied (the old pages stay in it until the
	// next checkpoint).
	CheckpointBusy bool
}

// Purge applies r at the store's Now. With dryRun it changes nothing and reports what would go.
// Otherwise it deletes in one transaction that audit-logs the counts (actor: channel), with
// secure_delete on so that SQLite overwrites the freed bytes with zeros, then checkpoints and
// truncates the WAL so that no older copy of the erased pages stays in the -wal file.
func (db *DB) Purge(ctx context.Context, r Retention, channel string, dryRun bool) (PurgeResult, error) {
	var res PurgeResult
	// A connection of its own: secure_delete is a per-connection setting (it is also in the DSN,
	// see Open; setting it here keeps the guarantee if that ever changes).
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("purge: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return res, fmt.Errorf("purge: secure_delete: %w", err)
	}
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("purge: begin: %w", err)
	}
	defer sqlTx.Rollback() // no-op after Commit
	tx := &Tx{tx: sqlTx, ctx: ctx, keys: db.keys, now: db.Now()}
	if err := tx.purge(r, &res); err != nil {
		return res, fmt.Errorf("purge: %w", err)
	}
	if dryRun {
		return res, nil
	}
	// Audited when something was destroyed; a night with nothing due is only logged by the
	// caller, so that the audit log stays a record of actions on protected data.
	if len(res.LinkClues)+len(res.ContactClues)+res.Drafts+res.Outbox+res.Inbox+res.Blobs > 0 {
		detail := fmt.Sprintf("links=%d contacts=%d drafts=%d outbox=%d inbox=%d blobs=%d", len(res.LinkClues), len(res.ContactClues),
			res.Drafts, res.Outbox, res.Inbox, res.Blobs)
		if err := tx.Audit(0, channel, "retention.purge", strings.Join(union(res.LinkClues, res.ContactClues), " "), detail); err != nil {
			return res, err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return res, fmt.Errorf("purge: commit: %w", err)
	}
	var busy, logPages, done int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		return res, fmt.Errorf("purge: checkpoint: %w", err)
	}
	res.CheckpointBusy = busy != 0
	return res, nil
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (tx *Tx) purge(r Retention, res *PurgeResult) error {
	now := tx.now
	if r.Link > 0 {
		// A real-name reporter's link is kept while a retaliation follow-up is still to be asked,
		// or was asked less than FollowUpAnswerDays ago and not answered: the 180-day question
		// falls on the day the link's period ends, and its answer comes later still.
		keep := fmt.Sprintf(`r.reporter_sealed IS NOT NULL AND NOT EXISTS (SELECT 1 FROM realname_duties d
			WHERE d.clue_id = c.id AND d.kind = 'followup' AND d.done_at IS NULL AND d.due_at > %d)`,
			now.AddDate(0, 0, -FollowUpAnswerDays).Unix())
		ids, numbers, err := tx.closedReports(keep, now.Add(-r.Link))
		if err != nil {
			return err
		}
		res.LinkClues = numbers
		for _, id := range ids {
			if _, err := tx.exec(`UPDATE reports SET reporter_sealed = NULL WHERE id = ?`, id); err != nil {
				return fmt.Errorf("destroy link: %w", err)
			}
			// A block made through this report would keep the link: the key hashes every chat's
			// row id to find the blocked one, and the audit log names the clue it came from.
			if _, err := tx.exec(`DELETE FROM blocked_reporters WHERE report_ref = ?`, tx.blockReportRef(id)); err != nil {
				return fmt.Errorf("destroy link: blocks: %w", err)
			}
			// Messages about this report (milestones and relayed questions to the reporter, notices
			// to officials) name it in their dedupe key; the first were addressed to the reporter.
			if err := tx.deleteOutbox(`(dedupe_key LIKE ? OR dedupe_key IN
				(SELECT 'question:' || q.id FROM clue_questions q JOIN clues c ON c.id = q.clue_id WHERE c.report_id = ?))`,
				res, fmt.Sprintf("report:%d:%%", id), id); err != nil {
				return err
			}
		}
	}
	if r.Contact > 0 {
		ids, numbers, err := tx.closedReports(`r.contact_sealed IS NOT NULL`, now.Add(-r.Contact))
		if err != nil {
			return err
		}
		res.ContactClues = numbers
		for _, id := range ids {
			if _, err := tx.exec(`UPDATE reports SET contact_sealed = NULL WHERE id = ?`, id); err != nil {
				return fmt.Errorf("erase contact: %w", err)
			}
		}
	}
	if r.Draft > 0 {
		n, err := tx.exec(`DELETE FROM conversations WHERE updated_at < ?`, now.Add(-r.Draft).Unix())
		if err != nil {
			return fmt.Errorf("drop drafts: %w", err)
		}
		k, _ := n.RowsAffected()
		res.Drafts = int(k)
	}
	if keep := r.outbox(); keep > 0 {
		if err := tx.deleteOutbox(`IFNULL(sent_at, created_at) < ? AND (leased_until IS NULL OR leased_until < ?)`, res,
			now.Add(-keep).Unix(), now.Unix()); err != nil {
			return err
		}
	}
	if err := tx.purgeDelivery(res); err != nil {
		return err
	}
	return tx.purgeBlobs(res)
}

// purgeDelivery removes, DeliveryRetention after the fact, what ties a chat to the second it
// wrote: processed inbox ids (their time is a step's time), step replies that were delivered
// or given up (their recipient and time, and a payload that may hold a query code or a
// draft's text), the WeChat window's times and failed-code records. Messages with a dedupe key
// other than a late WeChat reply's are the scheduler's and the ledger's (announcements,
// letters, milestones): they follow the outbox period. Pending messages stay until delivered,
// except a web chat's (below).
func (tx *Tx) purgeDelivery(res *PurgeResult) error {
	cutoff := tx.now.Add(-DeliveryRetention).Unix()
	n, err := tx.exec(`DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?`, cutoff)
	if err != nil {
		return fmt.Errorf("purge inbox: %w", err)
	}
	k, _ := n.RowsAffected()
	res.Inbox = int(k)
	// A web chat's reply still pending is one its browser never fetched: the page polls while
	// it is open, so two days on nobody is waiting for it (and the chat's next visit starts
	// from the conversation's state, not from old answers).
	if err := tx.deleteOutbox(`(dedupe_key IS NULL OR dedupe_key LIKE 'wechat:late:%')
		AND (status IN ('sent', 'dead') OR (status = 'pending' AND platform = 'web'))
		AND IFNULL(sent_at, created_at) < ? AND (leased_until IS NULL OR leased_until < ?)`, res, cutoff, tx.now.Unix()); err != nil {
		return err
	}
	// A delivered message's body is kept DeliveryRetention at most: a web chat's (its browser
	// may still fetch a file the message carries) and a WeChat passive reply's (a retried
	// callback gets it again); the dispatcher's are cleared when marked sent (MarkSent).
	if _, err := tx.exec(`UPDATE outbox SET payload = X'' WHERE status = 'sent' AND sent_at < ? AND length(payload) > 0`, cutoff); err != nil {
		return fmt.Errorf("purge delivered bodies: %w", err)
	}
	for _, q := range []string{
		`UPDATE wechat_chats SET last_message_at = 0, sent_since_message = 0 WHERE last_message_at <> 0 AND last_message_at < ?1`,
		`UPDATE wechat_chats SET last_event_at = 0, sent_since_event = 0 WHERE last_event_at <> 0 AND last_event_at < ?1`,
		`UPDATE wechat_chats SET updated_at = updated_at - updated_at % 86400 WHERE updated_at < ?1 AND updated_at % 86400 <> 0`,
		`DELETE FROM code_attempts WHERE at < ?1`,
		// The desk's sign-in links and sessions once they can no longer be used: a link past
		// its 10 minutes (used or not), a session signed out or past its lifetime.
		`DELETE FROM desk_links WHERE expires_at < ?1`,
		`DELETE FROM desk_sessions WHERE expires_at < ?1 OR (ended_at IS NOT NULL AND ended_at < ?1)`,
	} {
		if _, err := tx.exec(q, cutoff); err != nil {
			return fmt.Errorf("purge delivery records: %w", err)
		}
	}
	return nil
}

// outbox is the outbox period: Outbox, or the shorter of the positive Link and Contact.
func (r Retention) outbox() time.Duration {
	if r.Outbox > 0 {
		return r.Outbox
	}
	var d time.Duration
	for _, p := range []time.Duration{r.Link, r.Contact} {
		if p > 0 && (d == 0 || p < d) {
			d = p
		}
	}
	return d
}

// closedReports returns the reports (and their clues' numbers) of clues closed before cutoff
// whose row still matches cond.
func (tx *Tx) closedReports(cond string, cutoff time.Time) ([]int64, []string, error) {
	rows, err := tx.query(`SELECT r.id, c.number FROM clues c JOIN reports r ON r.id = c.report_id
		WHERE c.status = 'closed' AND c.closed_at IS NOT NULL AND c.closed_at <= ? AND `+cond+` ORDER BY c.id`, cutoff.Unix())
	if err != nil {
		return nil, nil, fmt.Errorf("closed reports: %w", err)
	}
	defer rows.Close()
	var ids []int64
	var numbers []string
	for rows.Next() {
		var id int64
		var n string
		if err := rows.Scan(&id, &n); err != nil {
			return nil, nil, fmt.Errorf("closed reports: %w", err)
		}
		ids, numbers = append(ids, id), append(numbers, n)
	}
	return ids, numbers, rows.Err()
}

// deleteOutbox deletes the outbox rows matching where, first unhooking the passive replies
// that point at them (inbox.reply_outbox_id).
func (tx *Tx) deleteOutbox(where string, res *PurgeResult, args ...any) error {
	sel := `SELECT id FROM outbox WHERE ` + where
	if _, err := tx.exec(`UPDATE inbox SET reply_outbox_id = NULL WHERE reply_outbox_id IN (`+sel+`)`, args...); err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	n, err := tx.exec(`DELETE FROM outbox WHERE `+where, args...)
	if err != nil {
		return fmt.Errorf("purge outbox: %w", err)
	}
	k, _ := n.RowsAffected()
	res.Outbox += int(k)
	return nil
}

// purgeBlobs deletes files that nothing references: no row of any table whose foreign key
// points at blobs (found in the schema, so a table added by a later migration counts without
// a change here), no draft and no message in the outbox (both sealed, so they are opened and
// searched for the file's digest).
func (tx *Tx) purgeBlobs(res *PurgeResult) error {
	refs, err := tx.query(`SELECT m.name, f."from" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND f."table" = 'blobs' ORDER BY m.name, f."from"`)
	if err != nil {
		return fmt.Errorf("blob references: %w", err)
	}
	var where []string
	for refs.Next() {
		var table, col string
		if err := refs.Scan(&table, &col); err != nil {
			refs.Close()
			return fmt.Errorf("blob references: %w", err)
		}
		where = append(where, fmt.Sprintf(`NOT EXISTS (SELECT 1 FROM %q r WHERE r.%q = b.sha256)`, table, col))
	}
	refs.Close()
	if err := refs.Err(); err != nil {
		return fmt.Errorf("blob references: %w", err)
	}
	if len(where) == 0 {
		return errors.New("blob references: no table references blobs; refusing to treat every file as orphan")
	}
	rows, err := tx.query(`SELECT sha256, size FROM blobs b WHERE created_at < ? AND `+strings.Join(where, " AND "),
		tx.now.Add(-blobGrace).Unix())
	if err != nil {
		return fmt.Errorf("orphan blobs: %w", err)
	}
	candidates := map[string]int64{}
	for rows.Next() {
		var sha string
		var size int64
		if err := rows.Scan(&sha, &size); err != nil {
			rows.Close()
			return fmt.Errorf("orphan blobs: %w", err)
		}
		candidates[sha] = size
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("orphan blobs: %w", err)
	}
	if len(candidates) == 0 {
		return nil
	}
	for _, src := range []struct{ query, purpose string }{
		{`SELECT data FROM conversations`, "conversation"},
		{`SELECT payload FROM outbox WHERE length(payload) > 0`, "outbox"}, // delivered: no body, no file
	} {
		if err := tx.sealedRefs(src.query, src.purpose, candidates); err != nil {
			return err
		}
	}
	for sha, size := range candidates {
		if _, err := tx.exec(`DELETE FROM blobs WHERE sha256 = ?`, sha); err != nil {
			return fmt.Errorf("delete blob: %w", err)
		}
		res.Blobs++
		res.BlobBytes += size
	}
	return nil
}

// sealedRefs removes from candidates every digest found in the opened values of query.
func (tx *Tx) sealedRefs(query, purpose string, candidates map[string]int64) error {
	rows, err := tx.query(query)
	if err != nil {
		return fmt.Errorf("blob references: %w", err)
	}
	defer rows.Close()
	for rows.Next() && len(candidates) > 0 {
		var sealed []byte
		if err := rows.Scan(&sealed); err != nil {
			return fmt.Errorf("blob references: %w", err)
		}
		plain, err := tx.keys.open(purpose, sealed)
		if err != nil {
			// An unreadable value might reference anything: keep every file.
			clear(candidates)
			return nil
		}
		for sha := range candidates {
			if strings.Contains(string(plain), sha) {
				delete(candidates, sha)
			}
		}
	}
	return rows.Err()
}
