-- 0025: a block remembers the report it was made through. blocked_chats kept only the chat's
-- keyed hash, and outlived the report's link: 180 days after a clue closed the purge destroyed
-- the sealed link from its report to the reporter's chat, but the block (and the audit row
-- clue.block naming the clue) still let whoever holds the database and the key find the chat,
-- by hashing every chat's row id. Now each block is a pair of keyed hashes, the chat's and the
-- report's, and destroying a report's link deletes the blocks made through it: a chat stays
-- blocked while a report it was blocked from still keeps its link. WITHOUT ROWID keeps no
-- insertion order to match against the audit log.
CREATE TABLE blocked_reporters (
	chat_ref   BLOB NOT NULL,
	report_ref BLOB NOT NULL, -- X'' for a block made before this migration: its report is unknown
	PRIMARY KEY (chat_ref, report_ref)
) WITHOUT ROWID;
INSERT INTO blocked_reporters (chat_ref, report_ref) SELECT chat_ref, X'' FROM blocked_chats;
DROP TABLE blocked_chats;
