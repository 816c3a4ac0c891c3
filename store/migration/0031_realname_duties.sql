-- 0031: what an office owes a real-name reporter after the acceptance notice (issue 17): the
-- result notice (结果告知) within 15 working days of closing, the answer to an objection (异议),
-- and the follow-ups that ask, 30, 90 and 180 days after closing, whether the reporter met
-- retaliation (打击报复). One row per duty; next_at is when the scheduler next looks at it
-- (a nudge, a late notice, a question to ask), indexed, so that the daily pass reads the
-- duties due today and never walks the closed clues. NULL: nothing more to do.
CREATE TABLE realname_duties (
	id         INTEGER PRIMARY KEY,
	clue_id    INTEGER NOT NULL REFERENCES clues(id),
	kind       TEXT NOT NULL CHECK (kind IN ('result', 'objection', 'followup')),
	seq        INTEGER NOT NULL DEFAULT 0,  -- followup: days after closing; objection: 1, 2, …
	due_at     INTEGER NOT NULL,            -- result: the deadline; objection: raised; followup: when to ask
	next_at    INTEGER,
	stage      INTEGER NOT NULL DEFAULT 0,  -- messages the scheduler sent for it so far
	body       TEXT NOT NULL DEFAULT '',    -- objection: the reporter's words
	answer     TEXT NOT NULL DEFAULT '',    -- objection: the office's answer; followup: 'no' or 'yes'
	done_at    INTEGER,                     -- notice sent, objection answered, follow-up answered
	done_by    INTEGER REFERENCES people(id),
	created_at INTEGER NOT NULL,
	UNIQUE (clue_id, kind, seq)
);
CREATE INDEX realname_duties_next ON realname_duties(next_at, id) WHERE next_at IS NOT NULL;
