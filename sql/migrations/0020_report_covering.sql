-- REPORT counts a period's signals, raised signals, held meetings and done milestones by a
-- few columns each. These indexes carry those columns, so the counts come from the index
-- alone instead of a heap page per row (REPORT over a year of the decade's data: the signals'
-- counts 17 -> 8 ms, the raised ones 15 -> 10 ms and 6.5 -> 2.7 ms, the meetings 5.4 -> 2.7 ms,
-- the milestones 6.5 -> 3.2 ms; docs/benchmarks.md). Each replaces the index of the same key
-- and condition under the same name, so writes maintain one index, not two.

CREATE INDEX signals_created_covering ON signals (created_at) INCLUDE (kind, theme, status);
DROP INDEX signals_created;
ALTER INDEX signals_created_covering RENAME TO signals_created;

CREATE INDEX signals_raised_at_covering ON signals (raised_at) INCLUDE (raised_with, answered_at, node_key) WHERE raised_at IS NOT NULL;
DROP INDEX signals_raised_at;
ALTER INDEX signals_raised_at_covering RENAME TO signals_raised_at;

CREATE INDEX meetings_held_starts_covering ON meetings (starts_at) INCLUDE (id, axis, tripartite) WHERE status = 'held';
DROP INDEX meetings_held_starts;
ALTER INDEX meetings_held_starts_covering RENAME TO meetings_held_starts;

CREATE INDEX milestones_done_on_covering ON milestones (done_on) INCLUDE (due) WHERE status = 'done';
DROP INDEX milestones_done_on;
ALTER INDEX milestones_done_on_covering RENAME TO milestones_done_on;
