-- The officials' desk (package desk): sign-in links sent in chat and the sessions they open.
-- Both tokens are kept only as keyed hashes: a copied database opens no desk.
CREATE TABLE desk_links (
	id         INTEGER PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people(id),
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
);

CREATE TABLE desk_sessions (
	id         INTEGER PRIMARY KEY,
	token_hash BLOB NOT NULL UNIQUE,
	person_id  INTEGER NOT NULL REFERENCES people(id),
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL,
	expires_at INTEGER NOT NULL, -- the absolute lifetime; idleness is checked against seen_at
	ended_at   INTEGER
);
CREATE INDEX desk_sessions_person ON desk_sessions(person_id);
