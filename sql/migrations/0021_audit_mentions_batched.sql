-- AUDIT node=: the mentions of the audit trail are written in batches, a second or so after
-- their rows, instead of by a trigger in every write. The trigger cost LINK 20-27 % of its
-- rate (docs/benchmarks.md); a batch writes the same rows for a fraction of that per row.
-- `AUDIT node=` reads the rows not yet indexed by their text (TokenStore.audit).
--
-- Which rows are safe to index: ids are drawn when rows are inserted, not when they commit,
-- so a row can become visible after rows with higher ids. Every audit id is drawn by a
-- transaction that already holds its transaction id (the default below). So once
-- `pg_snapshot_xmin` has passed a transaction id handed out just after a look at the highest
-- visible id, every row up to that id has committed or aborted, and an index that goes no
-- further misses none (the same argument as the change feed's, ChangeFeed.horizon).

CREATE FUNCTION audit_next_id() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN pg_current_xact_id() IS NOT NULL THEN nextval('audit_id_seq') END
$$;
ALTER TABLE audit ALTER COLUMN id SET DEFAULT audit_next_id();

-- One row: every audit row with an id up to `upto` has its mentions; `seen` is the highest
-- id a look saw, `seen_next` a transaction id handed out right after that look.
CREATE TABLE audit_mentions_done (
    single    boolean PRIMARY KEY DEFAULT true CHECK (single),
    upto      bigint NOT NULL,
    seen      bigint NOT NULL,
    seen_next xid8   NOT NULL
);

-- Dropping the trigger waits for every transaction that is inserting into the trail and
-- holds off new ones until this migration commits: every row up to the highest id now
-- visible got its mentions from the trigger.
DROP TRIGGER audit_mentions ON audit;
DROP FUNCTION audit_mentions_insert();
INSERT INTO audit_mentions_done (upto, seen, seen_next)
SELECT coalesce(max(id), 0), coalesce(max(id), 0), pg_current_xact_id() FROM audit;

-- Indexes the rows after `upto` that are settled, at most `batch` ids further, and returns
-- the new `upto` (NULL when another session is at it). Must be the first statement of its
-- transaction (autocommit), so that the transaction id it draws comes after its look.
-- Rows are settled by the look of an earlier call: call it again (the daemons do, every
-- second) and the rows are indexed by the second call after their commit.
--
-- A row mentions a node when its changes have that key as `node`, `from` or `to`, or when a
-- word of its command (split at anything that cannot be in a key) is the key of a node when
-- the row is indexed. Keys are kept in lower case: node keys are unique case-insensitively.
--
-- SECURITY DEFINER: the daemon's role may call it, but cannot write either table itself
-- (deploy/database.sql), so the index of the append-only trail stays append-only.
CREATE FUNCTION audit_mentions_catch_up(batch bigint DEFAULT 20000) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    seen_now bigint;
    next_now xid8;
    state    audit_mentions_done;
    through  bigint;
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'audit_mentions_catch_up() must be the first statement of its transaction';
    END IF;
    SELECT coalesce(max(id), 0) INTO seen_now FROM audit;
    next_now := pg_current_xact_id();
    SELECT * INTO state FROM audit_mentions_done FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF state.seen_next > pg_snapshot_xmin(pg_current_snapshot()) THEN
        RETURN state.upto;  -- the last look is not settled yet: a transaction of then still runs
    END IF;
    through := greatest(state.upto, least(state.seen, state.upto + greatest(batch, 1)));
    IF through > state.upto THEN
        -- The words joined to the nodes by hash, not looked up one by one in the nodes' index:
        -- half the time on a large batch. No ON CONFLICT: the ranges of the calls never
        -- overlap (the row lock above, `upto` only grows), and it would cost a third more.
        INSERT INTO audit_mentions (node_key, audit)
        SELECT lower(n.key), r.id
        FROM audit r
        CROSS JOIN LATERAL unnest(regexp_split_to_array(lower(r.command), '[^a-z0-9_-]+')) AS w(word)
        JOIN nodes n ON lower(n.key) = w.word
        WHERE r.id > state.upto AND r.id <= through
        UNION
        SELECT lower(v), r.id
        FROM audit r
        CROSS JOIN LATERAL unnest(ARRAY[r.changes->>'node', r.changes->>'from', r.changes->>'to']) AS v
        WHERE r.id > state.upto AND r.id <= through AND v IS NOT NULL AND v <> '';
    END IF;
    IF through = state.seen AND seen_now > state.seen THEN
        -- All of the last look is indexed: this look is the next one to settle.
        UPDATE audit_mentions_done SET upto = through, seen = seen_now, seen_next = next_now;
    ELSIF through > state.upto THEN
        UPDATE audit_mentions_done SET upto = through;
    END IF;
    RETURN through;
END
$$;
