-- 0006: what the clue ledger needs beyond 0005: repeat detection, receipt by the unit, the
-- anonymous relay and the rounds that clues are counted in.

-- The person or unit a clue names, as written and normalised (see NormalizeSubject), so that a
-- new clue naming the same one is linked to the earlier ones.
ALTER TABLE clues ADD COLUMN subject TEXT NOT NULL DEFAULT '';
ALTER TABLE clues ADD COLUMN subject_key TEXT NOT NULL DEFAULT '';
ALTER TABLE clues ADD COLUMN acked_at INTEGER;          -- the receiving unit confirmed receipt
ALTER TABLE clues ADD COLUMN summary TEXT NOT NULL DEFAULT '';
CREATE INDEX clues_subject ON clues(subject_key) WHERE subject_key <> '';
CREATE INDEX clues_received ON clues(received_at);

-- Repeat links: clue_id names the same subject as the earlier other_id.
CREATE TABLE clue_links (
	clue_id  INTEGER NOT NULL REFERENCES clues(id),
	other_id INTEGER NOT NULL REFERENCES clues(id),
	PRIMARY KEY (clue_id, other_id)
);

-- Questions relayed to a reporter. The reporter is reached only through the sealed link on the
-- report (or sees the question at a query-code lookup); nothing here names them.
CREATE TABLE clue_questions (
	id          INTEGER PRIMARY KEY,
	clue_id     INTEGER NOT NULL REFERENCES clues(id),
	asked_by    INTEGER NOT NULL REFERENCES people(id), -- who wrote the question
	relayed_by  INTEGER REFERENCES people(id),          -- the official who sent it on
	body        TEXT NOT NULL,
	answer      TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	relayed_at  INTEGER,
	answered_at INTEGER
);
CREATE INDEX clue_questions_clue ON clue_questions(clue_id);

-- Inspection rounds as far as the ledger counts them: a clue registered while a round is open
-- belongs to it, and a transfer during it is "while inspecting" (边巡边移).
CREATE TABLE ledger_rounds (
	id        INTEGER PRIMARY KEY,
	name      TEXT NOT NULL UNIQUE,
	starts_at INTEGER NOT NULL,
	ends_at   INTEGER NOT NULL
);
CREATE INDEX audit_person ON audit(person_id, id);
CREATE INDEX audit_action ON audit(action, id);
