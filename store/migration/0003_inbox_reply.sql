-- 0003: the reply given in the same HTTP exchange as a message (WeChat's passive reply), so
-- that a retried callback gets the same answer again.
ALTER TABLE inbox ADD COLUMN reply_outbox_id INTEGER REFERENCES outbox(id);
