-- WeChat callback nonces (store/wechat_nonce.go). A plaintext callback's signature covers only
-- the token, the timestamp and the nonce, not the body: without this table a URL captured from a
-- proxy log could carry a forged body, as any openid, for as long as its timestamp is fresh.
-- Each verified callback claims its (timestamp, nonce); the same pair again is accepted only
-- with the same body (WeChat's own retry, which the inbox then deduplicates).
-- Nothing here names a chat or a time to the second: the key and the body are keyed hashes,
-- and until (when the timestamp stops being fresh) is rounded up to the minute. Rows are
-- deleted once past it, as new callbacks come.
CREATE TABLE wechat_nonces (
	ref   BLOB PRIMARY KEY,   -- keyed hash of timestamp and nonce
	body  BLOB NOT NULL,      -- keyed hash of the callback's body
	until INTEGER NOT NULL    -- unix seconds, rounded up to the minute
) WITHOUT ROWID;
CREATE INDEX wechat_nonces_until ON wechat_nonces(until);
