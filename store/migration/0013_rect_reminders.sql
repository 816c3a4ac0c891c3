-- 0013: a reminder to the unit before each rectification deadline (its plan's, and the end of
-- the centralised rectification period), recorded so that it goes out once.
ALTER TABLE rect_tasks ADD COLUMN plan_reminded_at INTEGER;
ALTER TABLE rect_tasks ADD COLUMN due_reminded_at INTEGER;
