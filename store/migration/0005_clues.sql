-- 0005: the clue ledger (线索台账). Every report becomes a clue; the inspection can also
-- register clues it found itself. Times are unix seconds.
CREATE TABLE clues (
	id          INTEGER PRIMARY KEY,
	number      TEXT NOT NULL UNIQUE,            -- read aloud by clerks: JH-2026-0042
	report_id   INTEGER UNIQUE REFERENCES reports(id),
	source      TEXT NOT NULL CHECK (source IN ('report', 'inspection')),
	title       TEXT NOT NULL DEFAULT '',
	township_id INTEGER REFERENCES townships(id),
	village_id  INTEGER REFERENCES villages(id),
	round_id    INTEGER,                         -- the inspection round, when one was open
	keeper_id   INTEGER REFERENCES people(id),   -- the official who keeps the clue
	status      TEXT NOT NULL DEFAULT 'new'
	            CHECK (status IN ('new', 'studied', 'disposed', 'transferred', 'handling', 'held', 'closed')),
	disposal    TEXT NOT NULL DEFAULT '',        -- 谈话函询 / 初步核实 / 暂存待查 / 予以了结 / 移送审查调查 (keys)
	form        INTEGER CHECK (form BETWEEN 1 AND 4), -- 四种形态
	unit        TEXT NOT NULL DEFAULT '',        -- the receiving unit it was transferred to
	while_inspecting INTEGER NOT NULL DEFAULT 0, -- 边巡边移
	received_at INTEGER NOT NULL,
	due_at      INTEGER,                         -- the current handling deadline
	paused_at   INTEGER,                         -- waiting on someone else: the clock stops
	closed_at   INTEGER,
	case_filed  INTEGER NOT NULL DEFAULT 0,      -- 立案
	disciplined INTEGER NOT NULL DEFAULT 0,      -- people given party/government discipline
	org_handled INTEGER NOT NULL DEFAULT 0,      -- people given organisational handling
	updated_at  INTEGER NOT NULL
);
CREATE INDEX clues_status ON clues(status, due_at);
CREATE INDEX clues_unit ON clues(unit, status);

-- Everything that happened to a clue. Never updated or deleted.
CREATE TABLE clue_events (
	id         INTEGER PRIMARY KEY,
	clue_id    INTEGER NOT NULL REFERENCES clues(id),
	person_id  INTEGER REFERENCES people(id),
	kind       TEXT NOT NULL,
	body       TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX clue_events_clue ON clue_events(clue_id, id);
CREATE TRIGGER clue_events_no_update BEFORE UPDATE ON clue_events BEGIN SELECT RAISE(ABORT, 'clue timeline is append-only'); END;
CREATE TRIGGER clue_events_no_delete BEFORE DELETE ON clue_events BEGIN SELECT RAISE(ABORT, 'clue timeline is append-only'); END;
