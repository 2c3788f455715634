-- Goals that can be met (issue 18, point 2): a trajectory has any number of goals, each with
-- an optional indicator, target and date, a state (open -> met, or dropped with a reason) and
-- a dated history of progress, so "is this trajectory meeting its goals?" has an answer.
-- Milestones may name the goal they serve.
--
-- The single free-text trajectories.goal becomes the trajectory's first goal. The column
-- stays, untouched, so that nothing is lost; from this migration on the daemon neither reads
-- nor writes it (the trajectory record's goal= is the text of its first goal).
CREATE TABLE goals (
    id           bigserial PRIMARY KEY,
    trajectory   text NOT NULL REFERENCES trajectories(key) ON UPDATE CASCADE,
    text         text NOT NULL CHECK (text <> ''),
    indicator    text,
    target       text,
    by_date      date,
    state        text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'met', 'dropped')),
    met_on       date,
    dropped_on   date,
    drop_reason  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    -- A met goal says when; a dropped one says when and why.
    CHECK ((state = 'met') = (met_on IS NOT NULL)),
    CHECK ((state = 'dropped') = (dropped_on IS NOT NULL AND drop_reason IS NOT NULL AND drop_reason <> ''))
);
CREATE INDEX goals_trajectory ON goals (trajectory, id);
CREATE INDEX goals_open_by ON goals (by_date) WHERE state = 'open';

CREATE TABLE goal_progress (
    id     bigserial PRIMARY KEY,
    goal   bigint NOT NULL REFERENCES goals(id) ON DELETE CASCADE,
    at     timestamptz NOT NULL DEFAULT now(),
    -- a figure against the indicator (`42%`) or words (`tweede ronde gesprekken gestart`)
    value  text NOT NULL CHECK (value <> ''),
    note   text
);
CREATE INDEX goal_progress_goal ON goal_progress (goal, id);

ALTER TABLE milestones ADD COLUMN goal bigint REFERENCES goals(id);
CREATE INDEX milestones_goal ON milestones (goal) WHERE goal IS NOT NULL;

-- Every trajectory's goal text, when it says anything, becomes its first goal, dated as the
-- trajectory (in key order, so ids follow the keys).
INSERT INTO goals (trajectory, text, created_at, updated_at)
SELECT key, goal, created_at, created_at FROM trajectories
WHERE goal IS NOT NULL AND btrim(goal) <> ''
ORDER BY key;

COMMENT ON COLUMN trajectories.goal IS
    'Before migration 0012: the trajectory''s one goal. Copied into goals; kept so nothing is lost, no longer read or written.';
