-- 0007: the scheduler. Cron only ticks; everything that is due, and everything already done,
-- lives here, so a restart catches up once and never twice. Times are unix seconds.

-- One row per scheduled thing done (a ladder step of a clue for one deadline, a reminder of a
-- check-in period, a monthly review). The row is inserted in the same transaction that queues
-- the outbox rows, so either both exist or neither does.
CREATE TABLE schedule_claims (
	key        TEXT PRIMARY KEY,
	claimed_at INTEGER NOT NULL
);

-- Working-day calendar years imported after the embedded ones (xuncha calendar import).
-- An imported year replaces the embedded table for that year entirely.
CREATE TABLE calendar_days (
	day  TEXT PRIMARY KEY,                 -- YYYY-MM-DD, local date
	kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday'))
);
CREATE TABLE calendar_years (
	year        INTEGER PRIMARY KEY,
	source      TEXT NOT NULL DEFAULT '',
	imported_at INTEGER NOT NULL
);

-- Inspection announcements (巡察公告).
CREATE TABLE announcements (
	id           INTEGER PRIMARY KEY,
	title        TEXT NOT NULL,
	body         TEXT NOT NULL,
	contact      TEXT NOT NULL DEFAULT '',
	publish_at   INTEGER NOT NULL,
	open_at      INTEGER NOT NULL,
	close_at     INTEGER NOT NULL,
	remind_days  INTEGER NOT NULL DEFAULT 3,
	published_at INTEGER,                  -- every subscriber's outbox row is queued
	reminded_at  INTEGER,
	closed_at    INTEGER,                  -- the window shut itself
	created_at   INTEGER NOT NULL,
	CHECK (open_at < close_at)
);
CREATE INDEX announcements_due ON announcements(publish_at) WHERE closed_at IS NULL;

-- The places an announcement covers: a whole township when village_id is NULL.
CREATE TABLE announcement_areas (
	announcement_id INTEGER NOT NULL REFERENCES announcements(id),
	township_id     INTEGER NOT NULL REFERENCES townships(id),
	village_id      INTEGER REFERENCES villages(id)
);
CREATE INDEX announcement_areas_ann ON announcement_areas(announcement_id);
CREATE INDEX subscriptions_place ON subscriptions(township_id, village_id);

-- Reminder letters (提醒函) and supervision letters (督办函): numbered documents, each also
-- recorded in the clue's timeline. due_at is the clue deadline the letter is about, so a new
-- deadline set by the ledger starts a new ladder.
CREATE TABLE clue_letters (
	id       INTEGER PRIMARY KEY,
	clue_id  INTEGER NOT NULL REFERENCES clues(id),
	kind     TEXT NOT NULL CHECK (kind IN ('reminder_letter', 'supervision_letter')),
	number   TEXT NOT NULL UNIQUE,
	due_at   INTEGER NOT NULL,
	sent_at  INTEGER NOT NULL,
	acked_at INTEGER,
	acked_by INTEGER REFERENCES people(id),
	UNIQUE (clue_id, due_at, kind)
);

-- Where each open clue stands on the ladder for its current deadline: the escalation scan
-- reads only clues whose next step is due, not every open clue on every tick.
CREATE TABLE clue_ladder (
	clue_id INTEGER PRIMARY KEY REFERENCES clues(id),
	due_at  INTEGER NOT NULL,              -- the deadline this row is about
	level   INTEGER NOT NULL,              -- 1 nudge, 2 reminder letter, 3 supervision letter
	next_at INTEGER                        -- when the next step is due; NULL: nothing more
);
CREATE INDEX clues_open_due ON clues(due_at) WHERE closed_at IS NULL AND paused_at IS NULL AND status <> 'closed';
