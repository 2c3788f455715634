-- Indexes for the workflow commands at a decade's volume (scripts/bench --workflow; the plans
-- before and after are in docs/benchmarks.md). Indexes only: no row changes.

-- EXPORT ics node=: the milestones a node owns.
CREATE INDEX IF NOT EXISTS milestones_owner ON milestones (owner_key, due);

-- REPORT for a period: the milestones done, the signals brought in and raised, the meetings
-- held, found by their dates instead of reading a decade to keep one year.
CREATE INDEX IF NOT EXISTS milestones_done_on ON milestones (done_on) WHERE status = 'done';
CREATE INDEX IF NOT EXISTS signals_created ON signals (created_at);
CREATE INDEX IF NOT EXISTS signals_raised_at ON signals (raised_at) WHERE raised_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS meetings_held_starts ON meetings (starts_at) WHERE status = 'held';

-- GAPS stale: a trajectory's last held meeting is the first entry of this index backwards.
CREATE INDEX IF NOT EXISTS meetings_held_trajectory ON meetings (trajectory, starts_at) WHERE status = 'held';
