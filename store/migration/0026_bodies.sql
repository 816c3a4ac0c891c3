-- 0026: the leading group (领导小组) and the city committee (市委) as two bodies. Both acted as
-- "admin", so one person could adjust (step 4) and approve (step 5) a township's village
-- classification back to back. Roles are the CHECK list of 0001, which SQLite cannot change
-- without rebuilding people and invitations; a body is a column beside the role instead
-- ('' for none, 'leading_group', 'committee'), set by the invitation and copied to the person.
ALTER TABLE invitations ADD COLUMN body TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN body TEXT NOT NULL DEFAULT '';

-- Who closed each step of a classification cycle (NULL: the command line's operator), so
-- that nobody closes two steps of the same cycle.
CREATE TABLE class_step_closers (
	cycle_id  INTEGER NOT NULL REFERENCES class_cycles(id),
	step      INTEGER NOT NULL,
	person_id INTEGER REFERENCES people(id),
	at        INTEGER NOT NULL,
	PRIMARY KEY (cycle_id, step)
);
CREATE INDEX class_step_closers_person ON class_step_closers(person_id, cycle_id) WHERE person_id IS NOT NULL;
