-- 0002: small per-channel state that must survive restarts, such as the Telegram getUpdates
-- offset, which is confirmed to Telegram only after the updates it covers are committed.
CREATE TABLE channel_state (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL
);
