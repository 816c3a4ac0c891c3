-- 0035: the next step times of the ladder (0024, 0032) in a narrow table of their own.
--
-- In clues.next_step_at every clue the daily pass looked at rewrote its own page of the wide
-- clues table (rows with their titles and texts): at 1,000,000 clues a pass looked at about
-- 11,000 clues and dirtied nearly as many scattered pages, each written to the WAL and once
-- more into the file at the checkpoint — a third of the pass's time (BENCHMARKS.md). Here a
-- row is two integers, a few hundred to a page, and the pass steps clues in id order, so the
-- same work dirties a few hundred pages.
--
-- A row per clue with a step to come: at is when it is due (unix seconds), 0 when the next
-- pass is to work it out. No row: no step to come (closed, paused, or the climb ended).
CREATE TABLE clue_next_steps (
	clue_id INTEGER PRIMARY KEY REFERENCES clues(id) ON DELETE CASCADE,
	at      INTEGER NOT NULL
);

-- In id order, so that the table's pages are filled as an append fills them.
INSERT INTO clue_next_steps (clue_id, at) SELECT id, next_step_at FROM clues WHERE next_step_at IS NOT NULL ORDER BY id;
CREATE INDEX clue_next_steps_at ON clue_next_steps(at, clue_id);

-- The triggers of 0032 keep the new table instead, on the same conditions: any change that may
-- move a clue's next step (a new deadline, closing, pausing, re-opening, a status, disposal or
-- stage change) hands the clue back to the next pass, or takes it off the ladder.
DROP TRIGGER clues_next_step_insert;
DROP TRIGGER clues_next_step_update;
DROP INDEX clues_next_step;
CREATE TRIGGER clues_next_step_insert AFTER INSERT ON clues
	WHEN NEW.closed_at IS NULL AND NEW.paused_at IS NULL AND NEW.status <> 'closed'
BEGIN
	INSERT INTO clue_next_steps (clue_id, at) VALUES (NEW.id, 0) ON CONFLICT (clue_id) DO NOTHING;
END;
CREATE TRIGGER clues_next_step_update AFTER UPDATE OF due_at, closed_at, paused_at, status, disposal, stage_at ON clues
	WHEN NEW.due_at IS NOT OLD.due_at OR NEW.closed_at IS NOT OLD.closed_at OR NEW.paused_at IS NOT OLD.paused_at
		OR NEW.status IS NOT OLD.status OR NEW.disposal IS NOT OLD.disposal
		OR (NEW.stage_at IS NOT OLD.stage_at AND OLD.stage_at IS NOT NULL)
BEGIN
	DELETE FROM clue_next_steps WHERE clue_id = NEW.id
		AND (NEW.closed_at IS NOT NULL OR NEW.paused_at IS NOT NULL OR NEW.status = 'closed');
	INSERT INTO clue_next_steps (clue_id, at) SELECT NEW.id, 0
		WHERE NEW.closed_at IS NULL AND NEW.paused_at IS NULL AND NEW.status <> 'closed'
		ON CONFLICT (clue_id) DO UPDATE SET at = 0;
END;

-- clues.next_step_at is no longer read or kept. It stays, with the values it had today:
-- dropping a column rewrites every row of the table (the whole ledger through the WAL at once).
