-- 0001: the core schema. Times are unix seconds (INTEGER) so that "due_at <= ?" compares numbers.
-- Columns ending in _sealed hold AES-GCM ciphertext; columns ending in _hash hold a keyed HMAC
-- (a blind index) so that rows can be found without the clear value ever being stored.

CREATE TABLE townships (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE villages (
	id                INTEGER PRIMARY KEY,
	township_id       INTEGER NOT NULL REFERENCES townships(id),
	name              TEXT NOT NULL,
	class             TEXT NOT NULL DEFAULT 'general' CHECK (class IN ('key', 'general')),
	collective_income INTEGER,            -- collective economic income, yuan per year
	population        INTEGER,
	UNIQUE (township_id, name)
);

CREATE TABLE people (
	id            INTEGER PRIMARY KEY,
	role          TEXT NOT NULL CHECK (role IN ('officer', 'liaison', 'official', 'unit', 'admin')),
	township_id   INTEGER REFERENCES townships(id),
	village_id    INTEGER REFERENCES villages(id),
	unit          TEXT NOT NULL DEFAULT '',
	invitation_id INTEGER NOT NULL UNIQUE REFERENCES invitations(id),
	created_at    INTEGER NOT NULL
);

CREATE TABLE invitations (
	id          INTEGER PRIMARY KEY,
	code_hash   BLOB NOT NULL UNIQUE,
	role        TEXT NOT NULL CHECK (role IN ('officer', 'liaison', 'official', 'unit', 'admin')),
	township_id INTEGER REFERENCES townships(id),
	village_id  INTEGER REFERENCES villages(id),
	unit        TEXT NOT NULL DEFAULT '',
	note        TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER,
	revoked_at  INTEGER
);

-- One row per chat on a platform. The platform's chat id is never stored in clear:
-- chat_hash finds the row, chat_sealed lets only the delivery code address it.
CREATE TABLE chats (
	id           INTEGER PRIMARY KEY,
	platform     TEXT NOT NULL,
	chat_hash    BLOB NOT NULL UNIQUE,
	chat_sealed  BLOB NOT NULL,
	person_id    INTEGER REFERENCES people(id),
	lang         TEXT NOT NULL DEFAULT 'zh',
	is_group     INTEGER NOT NULL DEFAULT 0,
	unreachable  INTEGER NOT NULL DEFAULT 0,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
);
CREATE INDEX chats_person ON chats(person_id) WHERE person_id IS NOT NULL;

-- Conversation state per chat; data is sealed because a draft may hold a real name and phone.
CREATE TABLE conversations (
	chat_id    INTEGER PRIMARY KEY REFERENCES chats(id),
	data       BLOB NOT NULL,
	updated_at INTEGER NOT NULL
);

-- Every platform message id seen, so a retry or redelivery has no second effect.
CREATE TABLE inbox (
	platform     TEXT NOT NULL,
	msg_id       TEXT NOT NULL,
	received_at  INTEGER NOT NULL,
	payload      BLOB,                 -- sealed raw update, for channels that persist before processing
	processed_at INTEGER,
	PRIMARY KEY (platform, msg_id)
);
CREATE INDEX inbox_pending ON inbox(received_at) WHERE processed_at IS NULL;

-- Content-addressed files (sha256 of the scrubbed bytes).
CREATE TABLE blobs (
	sha256     TEXT PRIMARY KEY,
	mime       TEXT NOT NULL,
	size       INTEGER NOT NULL,
	data       BLOB NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE reports (
	id              INTEGER PRIMARY KEY,
	query_hash      BLOB NOT NULL UNIQUE,
	category        TEXT NOT NULL,
	township_id     INTEGER REFERENCES townships(id),
	village_id      INTEGER REFERENCES villages(id),
	place_text      TEXT NOT NULL DEFAULT '',
	subject         TEXT NOT NULL DEFAULT '',
	description     TEXT NOT NULL,
	when_text       TEXT NOT NULL DEFAULT '',
	anonymous       INTEGER NOT NULL,
	reporter_sealed BLOB,               -- sealed chat id; NULL when the reporter kept no link
	contact_sealed  BLOB,               -- sealed name and phone of a real-name reporter
	filed_by        INTEGER REFERENCES people(id),
	source          TEXT NOT NULL DEFAULT 'resident' CHECK (source IN ('resident', 'checkin')),
	lang            TEXT NOT NULL DEFAULT 'zh',
	status          TEXT NOT NULL DEFAULT 'received',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX reports_place ON reports(township_id, village_id);

-- The timeline of a report. public=1 rows may be shown to whoever holds the query code.
CREATE TABLE report_events (
	id         INTEGER PRIMARY KEY,
	report_id  INTEGER NOT NULL REFERENCES reports(id),
	kind       TEXT NOT NULL,
	body       TEXT NOT NULL DEFAULT '',
	public     INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE INDEX report_events_report ON report_events(report_id, id);

CREATE TABLE report_attachments (
	id        INTEGER PRIMARY KEY,
	report_id INTEGER NOT NULL REFERENCES reports(id),
	event_id  INTEGER REFERENCES report_events(id),
	sha256    TEXT NOT NULL REFERENCES blobs(sha256),
	name      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX report_attachments_report ON report_attachments(report_id);

-- Outgoing messages. A row exists before anything is sent; payload is sealed.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	chat_id         INTEGER NOT NULL REFERENCES chats(id),
	platform        TEXT NOT NULL,
	payload         BLOB NOT NULL,
	dedupe_key      TEXT UNIQUE,
	status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox(platform, next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_chat ON outbox(chat_id, id);

CREATE TABLE tasks (
	id          INTEGER PRIMARY KEY,
	township_id INTEGER NOT NULL REFERENCES townships(id),
	village_id  INTEGER REFERENCES villages(id),
	title       TEXT NOT NULL,
	body        TEXT NOT NULL DEFAULT '',
	due_at      INTEGER,
	status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
	created_at  INTEGER NOT NULL
);

CREATE TABLE task_events (
	id         INTEGER PRIMARY KEY,
	task_id    INTEGER NOT NULL REFERENCES tasks(id),
	person_id  INTEGER NOT NULL REFERENCES people(id),
	kind       TEXT NOT NULL CHECK (kind IN ('received', 'done', 'help')),
	note       TEXT NOT NULL DEFAULT '',
	sha256     TEXT REFERENCES blobs(sha256),
	created_at INTEGER NOT NULL
);
CREATE INDEX task_events_task ON task_events(task_id, id);

CREATE TABLE checkins (
	id          INTEGER PRIMARY KEY,
	person_id   INTEGER NOT NULL REFERENCES people(id),
	township_id INTEGER REFERENCES townships(id),
	village_id  INTEGER REFERENCES villages(id),
	visitors    INTEGER NOT NULL,
	problems    INTEGER NOT NULL,
	zero        INTEGER NOT NULL,
	sha256      TEXT REFERENCES blobs(sha256),
	created_at  INTEGER NOT NULL
);

CREATE TABLE subscriptions (
	id          INTEGER PRIMARY KEY,
	chat_id     INTEGER NOT NULL REFERENCES chats(id),
	township_id INTEGER NOT NULL REFERENCES townships(id),
	village_id  INTEGER REFERENCES villages(id),
	created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX subscriptions_unique ON subscriptions(chat_id, township_id, IFNULL(village_id, 0));

-- Failed code attempts (query codes and invitation codes), for rate limiting guesses.
CREATE TABLE code_attempts (
	chat_id INTEGER NOT NULL REFERENCES chats(id),
	at      INTEGER NOT NULL
);
CREATE INDEX code_attempts_chat ON code_attempts(chat_id, at);

-- The audit log is append-only: no command updates or deletes it, and triggers refuse it.
CREATE TABLE audit (
	id        INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	person_id INTEGER REFERENCES people(id),
	channel   TEXT NOT NULL,
	action    TEXT NOT NULL,
	object    TEXT NOT NULL DEFAULT '',
	detail    TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
