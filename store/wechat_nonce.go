package store

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// ClaimWeChatNonce is Tx.ClaimWeChatNonce in a transaction of its own, committed without
// waiting for the disk (updateLazy): it is on every callback's path, and losing the last claims
// to a power cut only reopens, for the minutes their timestamps stay fresh, the replay they
// guard against, which a process crash or kill does not.
func (db *DB) ClaimWeChatNonce(ctx context.Context, timestamp, nonce string, body []byte, until time.Time) (bool, error) {
	ok := false
	err := db.updateLazy(ctx, func(tx *Tx) error {
		var err error
		ok, err = tx.ClaimWeChatNonce(timestamp, nonce, body, until)
		return err
	})
	return ok, err
}

// ClaimWeChatNonce records a verified callback's timestamp and nonce until the timestamp is no
// longer fresh, and reports whether the callback may go on: true for a pair not seen before, or
// seen with the same body (WeChat retrying its own request); false for the same pair with another
// body, which is a replay of a captured signature. Expired pairs are deleted on the way, once a
// minute.
func (tx *Tx) ClaimWeChatNonce(timestamp, nonce string, body []byte, until time.Time) (bool, error) {
	// Expired pairs are deleted by the first claim of each minute, not by every claim: a
	// statement less on every callback's transaction. A row kept up to a minute past its until
	// refuses nothing that would pass: its timestamp is stale, and stale callbacks are refused first.
	if minute := tx.now.Unix() / 60; tx.noncesPruned == nil || tx.noncesPruned.Swap(minute) != minute {
		if _, err := tx.exec(`DELETE FROM wechat_nonces WHERE until < ?`, tx.now.Unix()); err != nil {
			return false, fmt.Errorf("prune wechat nonces: %w", err)
		}
	}
	ref := tx.keys.hash("wechat.nonce", timestamp+"\x00"+nonce)
	sum := tx.keys.hash("wechat.nonce.body", string(body))
	// Rounded up to the minute: the row must outlive the timestamp's freshness, and need not
	// say to the second when the callback came.
	end := (until.Unix() + 59) / 60 * 60
	res, err := tx.exec(`INSERT INTO wechat_nonces (ref, body, until) VALUES (?, ?, ?) ON CONFLICT (ref) DO NOTHING`, ref, sum, end)
	if err != nil {
		return false, fmt.Errorf("claim wechat nonce: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	var seen []byte
	if err := tx.queryRow(`SELECT body FROM wechat_nonces WHERE ref = ?`, ref).Scan(&seen); err != nil {
		return false, fmt.Errorf("claim wechat nonce: %w", err)
	}
	return bytes.Equal(seen, sum), nil
}
