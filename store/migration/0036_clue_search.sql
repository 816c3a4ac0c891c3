-- 0036: the desk's search over the clues' subject, summary and number, for Chinese.
--
-- Chinese has no spaces for a tokenizer to split on and most words are two characters, shorter
-- than FTS5's trigram tokenizer can match (notes/LIBRARIES.md), so a search with LIKE read every
-- clue of the ledger. This table holds every two-character piece (bigram) of each clue's three
-- searched fields, lower-cased as LIKE compares, once per clue: a search looks up its own bigrams
-- here and reads only the clues holding all of them (store/search.go). Each field ends with the
-- unit separator (char 31, which nobody can type into a search), so that no bigram spans two
-- fields and a field's last character still has a bigram starting with it (a one-character
-- search looks up the bigrams that start with it).
CREATE TABLE clue_grams (
	gram    TEXT NOT NULL,
	clue_id INTEGER NOT NULL,
	PRIMARY KEY (gram, clue_id)
) WITHOUT ROWID;

-- The bigrams of every clue, written once here and used by the triggers and the back-fill.
-- json_each over an array of n zeros counts 0..n-1 (triggers may not use WITH RECURSIVE).
CREATE VIEW clue_gram_rows AS
	SELECT t.id AS clue_id, substr(t.x, j.key + 1, 2) AS gram
	FROM (SELECT id, lower(subject || char(31) || summary || char(31) || number || char(31)) AS x FROM clues) t,
		json_each('[' || replace(hex(zeroblob(length(t.x) - 2)), '00', '0,') || '0]') j;

INSERT OR IGNORE INTO clue_grams (gram, clue_id) SELECT gram, clue_id FROM clue_gram_rows;

CREATE TRIGGER clue_grams_insert AFTER INSERT ON clues BEGIN
	INSERT OR IGNORE INTO clue_grams (gram, clue_id) SELECT gram, clue_id FROM clue_gram_rows WHERE clue_id = NEW.id;
END;
-- Before the change the view still gives the old bigrams, deleted one by one through the key.
CREATE TRIGGER clue_grams_unindex BEFORE UPDATE OF subject, summary, number ON clues
	WHEN NEW.subject IS NOT OLD.subject OR NEW.summary IS NOT OLD.summary OR NEW.number IS NOT OLD.number BEGIN
	DELETE FROM clue_grams WHERE clue_id = OLD.id AND gram IN (SELECT gram FROM clue_gram_rows WHERE clue_id = OLD.id);
END;
CREATE TRIGGER clue_grams_reindex AFTER UPDATE OF subject, summary, number ON clues
	WHEN NEW.subject IS NOT OLD.subject OR NEW.summary IS NOT OLD.summary OR NEW.number IS NOT OLD.number BEGIN
	INSERT OR IGNORE INTO clue_grams (gram, clue_id) SELECT gram, clue_id FROM clue_gram_rows WHERE clue_id = NEW.id;
END;
CREATE TRIGGER clue_grams_delete BEFORE DELETE ON clues BEGIN
	DELETE FROM clue_grams WHERE clue_id = OLD.id AND gram IN (SELECT gram FROM clue_gram_rows WHERE clue_id = OLD.id);
END;
