-- 0032: every open clue on a clock from the day it arrives. Until now only a clue with a
-- deadline (a transferred one) climbed the ladder; a clue nobody studied or disposed of never
-- escalated. Each step of handling is now a stage with thresholds counted in working days from
-- the moment the clue entered it (the ledger file's "stages"), and the ladder row says which
-- clock it is about.
--
-- stage_at: when the clue entered its current status (unix seconds). The triggers keep it:
-- a new clue starts at its receipt, a status change restarts it at the write's updated_at
-- (the store's clock, so tests on a virtual clock see their own time).
ALTER TABLE clues ADD COLUMN stage_at INTEGER;

-- clue_ladder.stage: '' for the deadline's ladder (as before; due_at is the deadline), or the
-- status whose stage clock the row is about (due_at is then the clue's stage_at). A row about
-- another deadline or another stage entry counts as no step taken.
ALTER TABLE clue_ladder ADD COLUMN stage TEXT NOT NULL DEFAULT '';
-- The same on a letter: '' for one about a deadline, or the status of the stage it is about
-- (its due_at is then the stage's start), so that its document says what it is about.
ALTER TABLE clue_letters ADD COLUMN stage TEXT NOT NULL DEFAULT '';

-- The entry time of each clue's current status, as well as the timeline tells it: the last
-- event of the kind that moves a clue into that status, else its receipt.
UPDATE clues SET stage_at = IFNULL((SELECT MAX(e.created_at) FROM clue_events e WHERE e.clue_id = clues.id
	AND e.kind IN ('study', 'disposal', 'transfer', 'ack', 'reactivated')), received_at);

CREATE TRIGGER clues_stage_insert AFTER INSERT ON clues WHEN NEW.stage_at IS NULL
BEGIN
	UPDATE clues SET stage_at = NEW.received_at WHERE id = NEW.id;
END;
CREATE TRIGGER clues_stage_update AFTER UPDATE OF status ON clues WHEN NEW.status IS NOT OLD.status
BEGIN
	UPDATE clues SET stage_at = NEW.updated_at WHERE id = NEW.id;
END;

-- The next-step index (0024) now covers every open clue that is not paused, with a deadline or
-- not; a change of the disposal (its thresholds differ) or of the stage's start hands the clue
-- back to the next pass too (not the insert trigger's first setting of stage_at: a clue
-- inserted with its next step worked out keeps it).
DROP TRIGGER clues_next_step_insert;
DROP TRIGGER clues_next_step_update;
CREATE TRIGGER clues_next_step_insert AFTER INSERT ON clues
	WHEN NEW.next_step_at IS NULL AND NEW.closed_at IS NULL AND NEW.paused_at IS NULL AND NEW.status <> 'closed'
BEGIN
	UPDATE clues SET next_step_at = 0 WHERE id = NEW.id;
END;
CREATE TRIGGER clues_next_step_update AFTER UPDATE OF due_at, closed_at, paused_at, status, disposal, stage_at ON clues
	WHEN NEW.due_at IS NOT OLD.due_at OR NEW.closed_at IS NOT OLD.closed_at OR NEW.paused_at IS NOT OLD.paused_at
		OR NEW.status IS NOT OLD.status OR NEW.disposal IS NOT OLD.disposal
		OR (NEW.stage_at IS NOT OLD.stage_at AND OLD.stage_at IS NOT NULL)
BEGIN
	UPDATE clues SET next_step_at = CASE
		WHEN NEW.closed_at IS NOT NULL OR NEW.paused_at IS NOT NULL OR NEW.status = 'closed' THEN NULL
		ELSE 0 END
	WHERE id = NEW.id;
END;

-- One-time: the open clues without a deadline are worked out once by the first pass after the
-- upgrade (most get a time in the future and no message; those past a threshold get the step
-- they owe, one a pass).
UPDATE clues SET next_step_at = 0
	WHERE due_at IS NULL AND next_step_at IS NULL AND closed_at IS NULL AND paused_at IS NULL AND status <> 'closed';
