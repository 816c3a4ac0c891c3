-- 0030: the desk's statistics and its overdue view.
--
-- The statistics page counts the clues of a period, round or township by township, month,
-- disposal, form, ladder step and unit, one grouped pass per chart. This index holds every
-- column those passes read, township first (an official's page reads only their township's
-- part), so that no pass reads the table's rows with their texts: counting the whole county
-- walks about a fifth of the bytes.
CREATE INDEX clues_stats ON clues(township_id, received_at, round_id, status, unit, disposal, form, due_at,
	case_filed, disciplined, org_handled, while_inspecting);

-- A township's open clues in deadline order (the desk's "overdue, by deadline" view): the page
-- walks it in order and stops after one page; the count reads the township's overdue part.
CREATE INDEX clues_township_due ON clues(township_id, due_at) WHERE status <> 'closed';
