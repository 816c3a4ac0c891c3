-- 0015: a chat's own times at day precision. A report's time is precise; a chat row, its
-- conversation or its subscriptions holding the same second named the chat behind a report
-- filed with no link. New rows are written at day precision (store.day); this cuts the rows
-- written before. Processed inbox ids, delivered replies and the WeChat window's times go 48
-- hours after the fact (store.DeliveryRetention), at the next purge.
UPDATE chats SET created_at = created_at - created_at % 86400, last_seen_at = last_seen_at - last_seen_at % 86400;
UPDATE conversations SET updated_at = updated_at - updated_at % 86400;
UPDATE subscriptions SET created_at = created_at - created_at % 86400;
