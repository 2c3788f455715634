-- The audit trail is also the change feed of the in-memory graphs: every write's audit row
-- commits with the write, and each daemon applies the rows of the others in id order (see
-- VerbinderStore.GraphSync). `daemon` names the daemon instance that wrote the row, so a
-- daemon skips its own rows (it applied those before answering); NULL for rows written by
-- `verbinderd seed` and `verbinderd token`, and for rows from before this migration.
ALTER TABLE audit ADD COLUMN daemon text;
