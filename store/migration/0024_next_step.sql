-- 0024: when each open clue's next escalation step is due, indexed, so that the daily pass
-- reads the clues that owe a step today and not every open clue near or past its deadline
-- (at 1,000,000 clues that walk read 336,532 index entries for 19,847 steps, clues whose
-- climb had ended included). Unix seconds; NULL: no step to come (closed, paused, no
-- deadline, or the climb ended); 0: to be worked out by the next pass.
--
-- The scheduler sets the exact time (it knows the working-day calendar and the thresholds);
-- the triggers below make any change that may move it (a new deadline, closing, pausing,
-- re-opening, a status change) hand the clue back to the next pass, whichever code made it.
ALTER TABLE clues ADD COLUMN next_step_at INTEGER;
CREATE INDEX clues_next_step ON clues(next_step_at, id) WHERE next_step_at IS NOT NULL;

-- Seeded from the ladder: a clue nudged waits for its deadline, one with a reminder letter for
-- its supervision time, one whose climb ended for nothing; the others (no step yet for their
-- deadline) are worked out once by the first pass after the upgrade.
UPDATE clues SET next_step_at = 0
	WHERE due_at IS NOT NULL AND closed_at IS NULL AND paused_at IS NULL AND status <> 'closed';
UPDATE clues SET next_step_at = (SELECT l.next_at FROM clue_ladder l WHERE l.clue_id = clues.id)
	WHERE next_step_at = 0 AND EXISTS (SELECT 1 FROM clue_ladder l WHERE l.clue_id = clues.id AND l.due_at = clues.due_at);

CREATE TRIGGER clues_next_step_insert AFTER INSERT ON clues
	WHEN NEW.next_step_at IS NULL AND NEW.due_at IS NOT NULL AND NEW.closed_at IS NULL AND NEW.paused_at IS NULL AND NEW.status <> 'closed'
BEGIN
	UPDATE clues SET next_step_at = 0 WHERE id = NEW.id;
END;
CREATE TRIGGER clues_next_step_update AFTER UPDATE OF due_at, closed_at, paused_at, status ON clues
	WHEN NEW.due_at IS NOT OLD.due_at OR NEW.closed_at IS NOT OLD.closed_at OR NEW.paused_at IS NOT OLD.paused_at OR NEW.status IS NOT OLD.status
BEGIN
	UPDATE clues SET next_step_at = CASE
		WHEN NEW.due_at IS NULL OR NEW.closed_at IS NOT NULL OR NEW.paused_at IS NOT NULL OR NEW.status = 'closed' THEN NULL
		ELSE 0 END
	WHERE id = NEW.id;
END;

-- The monthly review counts every open clue by township, unit, status and deadline in one
-- walk of this covering index, and the month's closures through the second. (closed_at is
-- always NULL in it: listed so that SQLite sees the index covers the query's WHERE.)
CREATE INDEX clues_open_review ON clues(township_id, unit, status, due_at, closed_at) WHERE closed_at IS NULL AND status <> 'closed';
CREATE INDEX clues_closed ON clues(closed_at) WHERE closed_at IS NOT NULL;
