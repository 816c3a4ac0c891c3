-- 0011: inspection rounds in full (groups, organisations, places and their mode, the
-- announcement), village classification in five steps, pre-inspection briefings, meetings,
-- rectification and the talent pool. A round is still a row of ledger_rounds, so the ledger
-- keeps counting clues in it; what is new hangs off that row.

ALTER TABLE ledger_rounds ADD COLUMN announcement_id INTEGER REFERENCES announcements(id);

CREATE TABLE round_groups (
	id       INTEGER PRIMARY KEY,
	round_id INTEGER NOT NULL REFERENCES ledger_rounds(id),
	name     TEXT NOT NULL,
	UNIQUE (round_id, name)
);

-- Members are people with a role (inspection staff): reports from the places the round covers
-- reach their chats.
CREATE TABLE round_members (
	group_id  INTEGER NOT NULL REFERENCES round_groups(id),
	person_id INTEGER NOT NULL REFERENCES people(id),
	PRIMARY KEY (group_id, person_id)
);

-- The party organisations inspected (被巡察党组织), named as their members' invitations name
-- their unit, so that briefings and rectification reach them.
CREATE TABLE round_orgs (
	round_id INTEGER NOT NULL REFERENCES ledger_rounds(id),
	org      TEXT NOT NULL,
	PRIMARY KEY (round_id, org)
);

-- The villages covered and how: direct (直接巡村) for key villages, together with the township
-- (乡村一体巡) for general ones, fixed from the village's class when the round is created.
CREATE TABLE round_places (
	round_id    INTEGER NOT NULL REFERENCES ledger_rounds(id),
	township_id INTEGER NOT NULL REFERENCES townships(id),
	village_id  INTEGER NOT NULL REFERENCES villages(id),
	mode        TEXT NOT NULL CHECK (mode IN ('direct', 'together')),
	group_id    INTEGER REFERENCES round_groups(id),
	PRIMARY KEY (round_id, village_id)
);
CREATE INDEX round_places_village ON round_places(village_id);

-- Village classification (村级分类): one cycle per township goes through five steps in order.
CREATE TABLE class_cycles (
	id          INTEGER PRIMARY KEY,
	township_id INTEGER NOT NULL REFERENCES townships(id),
	step        INTEGER NOT NULL CHECK (step BETWEEN 1 AND 6), -- 6: approved
	due_at      INTEGER NOT NULL,                             -- the current step's deadline
	nudged_step INTEGER NOT NULL DEFAULT 0,                   -- the last step nudged
	started_at  INTEGER NOT NULL,
	approved_at INTEGER
);
CREATE UNIQUE INDEX class_cycles_open ON class_cycles(township_id) WHERE approved_at IS NULL;

-- Every class proposed, researched, commented, adjusted or approved: append-only, like audit.
CREATE TABLE class_history (
	id         INTEGER PRIMARY KEY,
	cycle_id   INTEGER NOT NULL REFERENCES class_cycles(id),
	village_id INTEGER NOT NULL REFERENCES villages(id),
	step       INTEGER NOT NULL CHECK (step BETWEEN 1 AND 5),
	class      TEXT NOT NULL CHECK (class IN ('key', 'general')),
	note       TEXT NOT NULL DEFAULT '',
	person_id  INTEGER REFERENCES people(id),
	at         INTEGER NOT NULL
);
CREATE INDEX class_history_cycle ON class_history(cycle_id, village_id, id);
CREATE TRIGGER class_history_no_update BEFORE UPDATE ON class_history BEGIN SELECT RAISE(ABORT, 'class history is append-only'); END;
CREATE TRIGGER class_history_no_delete BEFORE DELETE ON class_history BEGIN SELECT RAISE(ABORT, 'class history is append-only'); END;

-- Pre-inspection briefings (巡前通报): one request per department and round.
CREATE TABLE briefing_requests (
	id         INTEGER PRIMARY KEY,
	round_id   INTEGER NOT NULL REFERENCES ledger_rounds(id),
	unit       TEXT NOT NULL,
	due_at     INTEGER NOT NULL,
	asked_at   INTEGER,
	nudged_at  INTEGER,
	done_at    INTEGER,
	UNIQUE (round_id, unit)
);

CREATE TABLE briefings (
	id         INTEGER PRIMARY KEY,
	request_id INTEGER NOT NULL REFERENCES briefing_requests(id),
	org        TEXT NOT NULL,
	body       TEXT NOT NULL DEFAULT '',
	file_sha   TEXT REFERENCES blobs(sha256),
	file_name  TEXT NOT NULL DEFAULT '',
	person_id  INTEGER REFERENCES people(id),
	at         INTEGER NOT NULL
);
CREATE INDEX briefings_request ON briefings(request_id);

CREATE TABLE meetings (
	id          INTEGER PRIMARY KEY,
	round_id    INTEGER NOT NULL REFERENCES ledger_rounds(id),
	kind        TEXT NOT NULL CHECK (kind IN ('mobilisation', 'stage', 'feedback')),
	at          INTEGER NOT NULL,
	place       TEXT NOT NULL DEFAULT '',
	notified_at INTEGER,
	reminded_at INTEGER,
	handed_at   INTEGER,  -- feedback meeting: the feedback handed to the commission and the organisation dept
	handed_by   INTEGER REFERENCES people(id)
);

CREATE TABLE meeting_attendees (
	meeting_id   INTEGER NOT NULL REFERENCES meetings(id),
	person_id    INTEGER NOT NULL REFERENCES people(id),
	confirmed_at INTEGER,
	PRIMARY KEY (meeting_id, person_id)
);

-- Rectification tasks (整改) of an inspected organisation, and rectification suggestions
-- (整改建议书) to another department, tracked alike.
CREATE TABLE rect_tasks (
	id           INTEGER PRIMARY KEY,
	round_id     INTEGER NOT NULL REFERENCES ledger_rounds(id),
	kind         TEXT NOT NULL CHECK (kind IN ('task', 'suggestion')),
	unit         TEXT NOT NULL,
	title        TEXT NOT NULL,
	plan_due_at  INTEGER NOT NULL,
	due_at       INTEGER NOT NULL,  -- the end of the centralised rectification period
	status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned', 'done')),
	sent_at      INTEGER,           -- guidance and templates queued
	escalated_at INTEGER,
	created_at   INTEGER NOT NULL
);
CREATE INDEX rect_tasks_unit ON rect_tasks(unit);

CREATE TABLE rect_events (
	id        INTEGER PRIMARY KEY,
	task_id   INTEGER NOT NULL REFERENCES rect_tasks(id),
	kind      TEXT NOT NULL CHECK (kind IN ('plan', 'progress', 'visit', 'perfunctory', 'escalated', 'done')),
	body      TEXT NOT NULL DEFAULT '',
	file_sha  TEXT REFERENCES blobs(sha256),
	file_name TEXT NOT NULL DEFAULT '',
	person_id INTEGER REFERENCES people(id),
	at        INTEGER NOT NULL
);
CREATE INDEX rect_events_task ON rect_events(task_id, id);

-- The talent pool (巡察人才库). Only a name, a field and a unit: no contact data is kept here.
CREATE TABLE talents (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	field      TEXT NOT NULL,
	unit       TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX talents_field ON talents(field);

CREATE TABLE talent_assignments (
	talent_id INTEGER NOT NULL REFERENCES talents(id),
	round_id  INTEGER NOT NULL REFERENCES ledger_rounds(id),
	group_id  INTEGER REFERENCES round_groups(id),
	PRIMARY KEY (talent_id, round_id)
);
