package store

import (
	"bytes"
	"fmt"
	"time"
)

// ClaimWeChatNonce records a verified callback's timestamp and nonce until the timestamp is no
// longer fresh, and reports whether the callback may go on: true for a pair not seen before, or
// seen with the same body (WeChat retrying its own request); false for the same pair with another
// body, which is a replay of a captured signature. Expired pairs are deleted on the way.
func (tx *Tx) ClaimWeChatNonce(timestamp, nonce string, body []byte, until time.Time) (bool, error) {
	if _, err := tx.exec(`DELETE FROM wechat_nonces WHERE until < ?`, tx.now.Unix()); err != nil {
		return false, fmt.Errorf("prune wechat nonces: %w", err)
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
