-- Co-design workflow: trajectories with stakeholders, milestones (with their history),
-- meetings (with participants) and signals. Overdue is derived (open and past due), never stored.

CREATE TABLE trajectories (
    key         text PRIMARY KEY CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
    name        text NOT NULL CHECK (name <> ''),
    kind        text NOT NULL CHECK (kind IN ('kansenagenda','codesign','programme','regiodeal','other')),
    lead_key    text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE,
    region_key  text REFERENCES nodes(key) ON UPDATE CASCADE,
    themes      text[] NOT NULL DEFAULT '{}',
    goal        text,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active','paused','done','stopped')),
    start_date  date,
    end_date    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date)
);
CREATE UNIQUE INDEX trajectories_key_lower ON trajectories (lower(key));

CREATE TABLE stakeholders (
    trajectory  text NOT NULL REFERENCES trajectories(key) ON UPDATE CASCADE ON DELETE CASCADE,
    node_key    text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE,
    role        text NOT NULL CHECK (role IN ('lead','partner','advisor','funder','observer')),
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trajectory, node_key)
);
CREATE INDEX stakeholders_node ON stakeholders (node_key);

CREATE TABLE meetings (
    id               bigserial PRIMARY KEY,
    trajectory       text REFERENCES trajectories(key) ON UPDATE CASCADE,
    starts_at        timestamptz NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1440),
    title            text NOT NULL DEFAULT '',
    place            text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned','held','cancelled')),
    notes            text NOT NULL DEFAULT '',
    outcome          text,
    -- derived from the participants' tiers when planned (VerbinderGraph.MeetingClass), kept for reporting
    axis             text NOT NULL CHECK (axis IN ('horizontal','vertical')),
    tripartite       boolean NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meetings_trajectory ON meetings (trajectory, starts_at);
CREATE INDEX meetings_starts ON meetings (starts_at);

CREATE TABLE meeting_participants (
    meeting     bigint NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
    node_key    text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE,
    PRIMARY KEY (meeting, node_key)
);
CREATE INDEX meeting_participants_node ON meeting_participants (node_key);

CREATE TABLE milestones (
    id          bigserial PRIMARY KEY,
    trajectory  text NOT NULL REFERENCES trajectories(key) ON UPDATE CASCADE,
    title       text NOT NULL CHECK (title <> ''),
    due         date NOT NULL,
    owner_key   text REFERENCES nodes(key) ON UPDATE CASCADE,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open','done','cancelled')),
    done_on     date,
    note        text,
    -- reminder offsets before the due date, e.g. '14d,3d,0d' (used by the reminders)
    remind      text NOT NULL DEFAULT '14d,3d,0d',
    meeting_id  bigint REFERENCES meetings(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'done') = (done_on IS NOT NULL))
);
CREATE INDEX milestones_trajectory ON milestones (trajectory, due);
CREATE INDEX milestones_open_due ON milestones (due) WHERE status = 'open';

CREATE TABLE milestone_history (
    id          bigserial PRIMARY KEY,
    milestone   bigint NOT NULL REFERENCES milestones(id),
    at          timestamptz NOT NULL DEFAULT now(),
    change      text NOT NULL CHECK (change IN ('add','move','done','reopen','cancel')),
    old_due     date,
    new_due     date,
    reason      text
);
CREATE INDEX milestone_history_milestone ON milestone_history (milestone, id);

CREATE TABLE signals (
    id          bigserial PRIMARY KEY,
    node_key    text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('problem','solution','example','need')),
    theme       text NOT NULL CHECK (theme ~ '^[a-z0-9-]+$'),
    text        text NOT NULL CHECK (text <> ''),
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signals_theme ON signals (theme, kind);
