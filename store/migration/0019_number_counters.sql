-- 0019: the last number issued per series and year, so that numbering a clue (JH-2026-0042)
-- or a letter (提醒〔2026〕3号) reads one row instead of counting or maxing over every clue or
-- letter of the year: the cost is the same in year ten as on day one. The row is taken in the
-- transaction that inserts the numbered row, so two never share a number.
CREATE TABLE number_counters (
	series TEXT NOT NULL,    -- 'clue', 'reminder_letter', 'supervision_letter'
	year   INTEGER NOT NULL, -- the year in the number
	last   INTEGER NOT NULL, -- the last number issued
	PRIMARY KEY (series, year)
) WITHOUT ROWID;

-- Seeded from what was issued before: JH-YYYY-NNNN, and 提醒〔YYYY〕N号 / 督办〔YYYY〕N号 (substr
-- counts characters, and CAST reads the leading digits of "3号").
INSERT INTO number_counters (series, year, last)
	SELECT 'clue', CAST(substr(number, 4, 4) AS INTEGER), MAX(CAST(substr(number, 9) AS INTEGER))
	FROM clues WHERE number GLOB 'JH-[0-9][0-9][0-9][0-9]-[0-9]*' GROUP BY 2;
INSERT INTO number_counters (series, year, last)
	SELECT kind, CAST(substr(number, 4, 4) AS INTEGER), MAX(CAST(substr(number, 9) AS INTEGER))
	FROM clue_letters GROUP BY kind, 2;
