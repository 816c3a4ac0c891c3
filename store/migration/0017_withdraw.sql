-- 0017: a role can be taken away. people.withdrawn_at marks a person whose role was withdrawn
-- (xuncha people revoke, or revoking the invitation that made them); their chats are unbound
-- in the same transaction, so every recipient query that joins chats to people skips them and
-- their next message is a resident's. The row stays: the audit log, check-ins and timelines
-- still name the person.
ALTER TABLE people ADD COLUMN withdrawn_at INTEGER;

-- The platform the person bound on, for xuncha people list: the chat's row is unbound at
-- withdrawal, and the list must still say where the person was reached. Never the chat id.
ALTER TABLE people ADD COLUMN channel TEXT NOT NULL DEFAULT '';
UPDATE people SET channel = IFNULL((SELECT platform FROM chats WHERE chats.person_id = people.id ORDER BY chats.id LIMIT 1), '');

-- The person an outbox row was queued for, when it went to a chat bound to a role: a staff
-- message (a notice, a letter, a clue shown to an official). Withdrawal deletes the person's
-- pending rows, so nothing queued for the role is delivered once the role is gone. Answers
-- meant for the chat as a resident (its own report's query code and status, relayed questions
-- to a reporter, announcements) stay untagged. Rows already pending are tagged by the chat's
-- person, as a staff chat's rows would have been.
ALTER TABLE outbox ADD COLUMN person_id INTEGER REFERENCES people(id);
UPDATE outbox SET person_id = (SELECT person_id FROM chats WHERE chats.id = outbox.chat_id) WHERE status = 'pending';
CREATE INDEX outbox_person ON outbox(person_id) WHERE person_id IS NOT NULL AND status = 'pending';
