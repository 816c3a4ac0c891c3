package store

import (
	"testing"
	"time"
)

// TestClaimWeChatNonce: a timestamp and nonce are taken once; the same pair with the same body
// passes again (WeChat's retry), with another body it does not; once the timestamp is stale the
// row is gone, and nothing in it says the second the callback came.
func TestClaimWeChatNonce(t *testing.T) {
	db := MustOpenDB(t)
	clk := setClock(db, t0)
	claim := func(ts, nonce, body string) bool {
		t.Helper()
		var ok bool
		mustUpdate(t, db, func(tx *Tx) error {
			var err error
			sec := tx.Now().Unix()
			ok, err = tx.ClaimWeChatNonce(ts, nonce, []byte(body), time.Unix(sec, 0).Add(5*time.Minute))
			return err
		})
		return ok
	}
	if !claim("1700000000", "n1", "<xml>a</xml>") {
		t.Fatal("a new nonce was refused")
	}
	if !claim("1700000000", "n1", "<xml>a</xml>") {
		t.Error("the same callback again (a retry) was refused")
	}
	if claim("1700000000", "n1", "<xml>forged</xml>") {
		t.Error("the same nonce with another body was taken")
	}
	if !claim("1700000001", "n1", "<xml>b</xml>") {
		t.Error("the nonce at another timestamp was refused")
	}
	var until int64
	if err := db.db.QueryRow(`SELECT MAX(until) FROM wechat_nonces`).Scan(&until); err != nil {
		t.Fatal(err)
	}
	if until%60 != 0 || until < t0.Add(5*time.Minute).Unix() {
		t.Errorf("until = %d: want a whole minute at or after the timestamp's freshness", until)
	}
	clk.advance(7 * time.Minute)
	claim("1700000500", "n2", "<xml>c</xml>")
	var n int
	if err := db.db.QueryRow(`SELECT COUNT(*) FROM wechat_nonces`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d nonce rows after the window; want only the new one", n)
	}
}
