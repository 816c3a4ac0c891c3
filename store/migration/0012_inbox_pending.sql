-- 0012: pending inbox messages found without reading the processed ones.
-- PendingMessages asks for a platform's unprocessed messages in arrival order. The planner
-- took the (platform, msg_id) index for it and read every message the platform had ever sent,
-- processed or not, then sorted them: a cost growing with the inbox, paid after each batch.
-- This index holds only the pending ones, in (platform, rowid) order: no sort either.
DROP INDEX inbox_pending;
CREATE INDEX inbox_pending ON inbox(platform) WHERE processed_at IS NULL;
