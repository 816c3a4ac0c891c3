-- 0033: referral by jurisdiction (分级转办) and officers' tasks on a clock (issue 17).
--
-- A report that belongs to another level or body is referred within 5 working days of receipt
-- (the 2020 rules on handling reports). clue_referrals records to whom and when; the clue is
-- closed with the disposal 'referred', so it leaves the open ledger. refer_watch holds the
-- clues from reports that nobody has studied or referred yet, with the time the scheduler next
-- looks at each, indexed, so that the daily pass reads what is due and never walks the open
-- ledger. The triggers keep it whichever code inserts or moves a clue: a new clue from a report
-- is watched from its receipt (next_at = received_at: the next pass works out the dates), and
-- a clue that leaves 'new' (studied, not accepted, referred, closed) is no longer watched.
CREATE TABLE clue_referrals (
	clue_id    INTEGER PRIMARY KEY REFERENCES clues(id),
	body       TEXT NOT NULL,               -- the ledger file's key of the body referred to
	name       TEXT NOT NULL,               -- its Chinese name when referred
	referred_by INTEGER REFERENCES people(id),
	referred_at INTEGER NOT NULL
);

CREATE TABLE refer_watch (
	clue_id INTEGER PRIMARY KEY REFERENCES clues(id),
	next_at INTEGER,                        -- NULL: nothing more to send
	stage   INTEGER NOT NULL DEFAULT 0      -- 1: warned before the 5 days; 2: told they passed
);
CREATE INDEX refer_watch_next ON refer_watch(next_at, clue_id) WHERE next_at IS NOT NULL;

-- Clues already waiting for study when this runs are watched too; the first pass nudges the
-- late ones once.
INSERT INTO refer_watch (clue_id, next_at)
	SELECT id, received_at FROM clues WHERE status = 'new' AND report_id IS NOT NULL AND closed_at IS NULL;

CREATE TRIGGER refer_watch_insert AFTER INSERT ON clues
	WHEN NEW.status = 'new' AND NEW.report_id IS NOT NULL AND NEW.closed_at IS NULL
BEGIN
	INSERT OR IGNORE INTO refer_watch (clue_id, next_at) VALUES (NEW.id, NEW.received_at);
END;
CREATE TRIGGER refer_watch_leave AFTER UPDATE OF status, closed_at ON clues
	WHEN NEW.status <> 'new' OR NEW.closed_at IS NOT NULL
BEGIN
	DELETE FROM refer_watch WHERE clue_id = NEW.id;
END;

-- Tasks on a clock: next_at is when the scheduler next looks at an open task with a due date
-- (a nudge before, one after, then the liaison, then the official); stage counts the steps
-- taken; given_by is the official who gave it in chat (NULL: from the command line). The first
-- 'done' confirmation stops the clock, whichever code records it.
ALTER TABLE tasks ADD COLUMN next_at INTEGER;
ALTER TABLE tasks ADD COLUMN stage INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN given_by INTEGER REFERENCES people(id);
CREATE INDEX tasks_next ON tasks(next_at, id) WHERE next_at IS NOT NULL;
UPDATE tasks SET next_at = created_at WHERE due_at IS NOT NULL AND status = 'open'
	AND NOT EXISTS (SELECT 1 FROM task_events e WHERE e.task_id = tasks.id AND e.kind = 'done');

CREATE TRIGGER tasks_clock_done AFTER INSERT ON task_events WHEN NEW.kind = 'done'
BEGIN
	UPDATE tasks SET next_at = NULL WHERE id = NEW.task_id;
END;
