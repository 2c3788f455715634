-- Knowing what happened to a write whose connection was lost while it committed.
--
-- `write_id` names the request that wrote an audit row (the daemon's instance and a counter):
-- when the connection breaks after COMMIT was sent, the daemon looks it up on a new connection,
-- once the old session is gone, and answers OK if the row is there and ERR if it is not.
-- Looked up only within the last hour (by `at`, which is indexed), so it needs no index of its
-- own, and a LINK costs no extra index insert. NULL for rows from before this migration.
ALTER TABLE audit ADD COLUMN write_id text;

-- `idem=<key>` on a write: the first answer, kept in the write's own transaction, so a retry
-- with the same key within 24 hours gets that answer and writes nothing. Keys belong to the
-- token (actor) that used them, so two clients cannot collide. `request` is the SHA-256 of the
-- request in a canonical form (verb, arguments, options but idem=), to refuse a key reused for
-- another request; a hash, so no e-mail address of a contact is kept with the key.
CREATE TABLE idempotency_keys (
    actor        text NOT NULL,
    key          text NOT NULL,
    request      text NOT NULL,
    answer_text  text NOT NULL,
    answer_json  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
