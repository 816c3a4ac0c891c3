-- Refusals under a flood are audit-logged as counted summaries (store/abuse.go): the first few
-- of a kind in a window get their own audit row, the rest only raise a counter here, and one
-- abuse.summary row per window carries the count when the window closes. Rows are deleted as
-- their windows close: the table holds at most one row per kind, person and channel.
CREATE TABLE refusal_windows (
	action     TEXT NOT NULL,
	person_id  INTEGER NOT NULL DEFAULT 0, -- 0: an anonymous resident
	channel    TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	logged     INTEGER NOT NULL DEFAULT 0, -- refusals given their own audit row in this window
	suppressed INTEGER NOT NULL DEFAULT 0, -- refusals only counted
	PRIMARY KEY (action, person_id, channel)
) WITHOUT ROWID;

-- Chats an official blocked from a clue (屏蔽举报人). The key is a keyed hash of the chat's row
-- id, never the id itself: the audit log names the clue a block came from, and a clear chat id
-- here would let a copied database join that clue to its reporter's chat. Nothing else is kept
-- (who, when and why are in the audit log, clue.block), and WITHOUT ROWID keeps no insertion
-- order to match against the log.
CREATE TABLE blocked_chats (
	chat_ref BLOB PRIMARY KEY
) WITHOUT ROWID;

-- Failed code attempts older than the per-chat window are pruned as new ones come (a flood of
-- fresh chats would otherwise grow the table for ever); this index finds them.
CREATE INDEX code_attempts_at ON code_attempts(at);
