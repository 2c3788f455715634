-- Contacts (people attached to a node) and milestone reminder occurrences for cron workers.

CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    node_key    text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE,
    name        text NOT NULL CHECK (name <> ''),
    email       text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    role        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_node ON contacts (node_key);
CREATE INDEX contacts_email ON contacts (lower(email));

-- One row per planned delivery: a reminder offset before the due date ('14d', '3d', '0d')
-- or the weekly 'overdue' one. Unique on (milestone, rule, fire_at), so planning twice
-- never creates extras. States: pending -> leased -> sent; leased -> pending (lease ended or
-- released) or dead (too many attempts); cancelled (milestone done/cancelled), superseded
-- (its date moved), expired (no longer makes sense, e.g. a 3d reminder once past due).
CREATE TABLE reminders (
    id           bigserial PRIMARY KEY,
    milestone    bigint NOT NULL REFERENCES milestones(id),
    rule         text NOT NULL CHECK (rule ~ '^([0-9]+d|overdue)$'),
    fire_at      timestamptz NOT NULL,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending','leased','sent','dead','cancelled','superseded','expired')),
    attempts     integer NOT NULL DEFAULT 0,
    lease_token  text,
    lease_until  timestamptz,
    leased_by    text,
    -- the daemon instance and connection holding the lease, so a closed connection releases at once
    lease_holder text,
    not_before   timestamptz,
    last_error   text,
    sent_at      timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (milestone, rule, fire_at)
);
CREATE INDEX reminders_pending ON reminders (fire_at) WHERE state = 'pending';
CREATE INDEX reminders_leased ON reminders (lease_holder) WHERE state = 'leased';
CREATE INDEX reminders_milestone ON reminders (milestone, state);

-- Reminders for milestones that existed before this migration.
INSERT INTO reminders (milestone, rule, fire_at)
SELECT m.id, r.rule,
       CASE WHEN r.rule = 'overdue' THEN ((m.due + 1) + time '09:00') AT TIME ZONE 'Europe/Amsterdam'
            ELSE ((m.due - rtrim(r.rule, 'd')::int) + time '09:00') AT TIME ZONE 'Europe/Amsterdam' END
FROM milestones m, LATERAL (SELECT unnest(string_to_array(m.remind, ',')) AS rule UNION ALL SELECT 'overdue') r
WHERE m.status = 'open'
ON CONFLICT DO NOTHING;
