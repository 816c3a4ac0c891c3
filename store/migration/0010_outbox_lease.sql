-- 0010: marks an outbox row taken by a send in flight. When a process dies mid-send, the next
-- one hands such rows back at start instead of waiting out the lease.
ALTER TABLE outbox ADD COLUMN leased_until INTEGER;
