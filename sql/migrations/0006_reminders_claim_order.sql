-- REMINDERS CLAIM takes due occurrences in (fire_at, id) order. Many share a fire_at (every
-- "3d" reminder of milestones due the same day), so an index on fire_at alone made each claim
-- sort all of them; this one hands them out in claim order.
CREATE INDEX reminders_pending_claim ON reminders (fire_at, id) WHERE state = 'pending';
DROP INDEX reminders_pending;
