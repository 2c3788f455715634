-- A signal's path to the national table and back (the VNG as mouthpiece): open -> raised
-- (put on the table of a national or provincial party, perhaps at a meeting) -> answered ->
-- closed, or withdrawn before it is closed. Every step is a dated row of signal_steps, so
-- "which problems did we raise with which ministry, and did anyone answer?" has an answer;
-- the signal keeps its current state and with whom it was raised, so listings and
-- GAPS unanswered read one row per signal.
--
-- Existing signals keep their state (open or closed); their creation becomes their first
-- step, and a closed one gets a closing step at the same moment.
ALTER TABLE signals DROP CONSTRAINT signals_status_check;
ALTER TABLE signals ADD CONSTRAINT signals_status_check
    CHECK (status IN ('open', 'raised', 'answered', 'closed', 'withdrawn'));

ALTER TABLE signals
    ADD COLUMN raised_with text REFERENCES nodes(key) ON UPDATE CASCADE,
    ADD COLUMN raised_at   timestamptz,
    ADD COLUMN meeting     bigint REFERENCES meetings(id),
    ADD COLUMN answered_at timestamptz;
-- A raised or answered signal says with whom and since when.
ALTER TABLE signals ADD CONSTRAINT signals_raised
    CHECK (status NOT IN ('raised', 'answered') OR (raised_with IS NOT NULL AND raised_at IS NOT NULL));
CREATE INDEX signals_waiting ON signals (raised_with, raised_at) WHERE status = 'raised';
CREATE INDEX signals_meeting ON signals (meeting) WHERE meeting IS NOT NULL;

CREATE TABLE signal_steps (
    id        bigserial PRIMARY KEY,
    signal    bigint NOT NULL REFERENCES signals(id) ON DELETE CASCADE,
    status    text NOT NULL CHECK (status IN ('open', 'raised', 'answered', 'closed', 'withdrawn')),
    at        timestamptz NOT NULL DEFAULT now(),
    -- raised with (raised), answered by (answered)
    node_key  text REFERENCES nodes(key) ON UPDATE CASCADE,
    meeting   bigint REFERENCES meetings(id),
    -- the note, the answer, the outcome or the reason
    text      text
);
CREATE INDEX signal_steps_signal ON signal_steps (signal, id);

INSERT INTO signal_steps (signal, status, at) SELECT id, 'open', created_at FROM signals ORDER BY id;
INSERT INTO signal_steps (signal, status, at) SELECT id, 'closed', created_at FROM signals WHERE status = 'closed' ORDER BY id;
