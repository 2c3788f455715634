-- GAPS stale: when each trajectory and each node last had a meeting held, kept beside the
-- meetings, so that the stale ones are found by reading one value per trajectory and per
-- stakeholder instead of every held meeting of the period with its participants (41 ms p99
-- on a decade's 50,000 meetings; docs/benchmarks.md).
--
-- `trajectories.last_held` and `node_last_held.last_held` are the latest start of a meeting
-- with status `held` (of that trajectory; with that node among its participants), NULL or no
-- row when there is none. Triggers on `meetings` and `meeting_participants` keep them, so every
-- path that writes meetings (the daemon, a bulk load, a key renamed by ON UPDATE CASCADE)
-- keeps them right. A meeting that becomes held only moves a value forward; one that stops
-- being held, moves or is removed has its keys computed again from the meetings.

ALTER TABLE trajectories ADD COLUMN last_held timestamptz;

CREATE TABLE node_last_held (
    node_key  text        PRIMARY KEY,
    last_held timestamptz NOT NULL
);

-- The values of these trajectories and nodes computed again from the meetings.
CREATE FUNCTION last_held_recompute(trajectory_keys text[], node_keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(trajectory_keys) > 0 THEN
        UPDATE trajectories t SET last_held = h.last
        FROM (SELECT k, (SELECT max(m.starts_at) FROM meetings m WHERE m.trajectory = k AND m.status = 'held') AS last
              FROM unnest(trajectory_keys) AS k) h
        WHERE t.key = h.k AND t.last_held IS DISTINCT FROM h.last;
    END IF;
    IF cardinality(node_keys) > 0 THEN
        DELETE FROM node_last_held WHERE node_key = ANY (node_keys);
        INSERT INTO node_last_held (node_key, last_held)
        SELECT p.node_key, max(m.starts_at)
        FROM meeting_participants p JOIN meetings m ON m.id = p.meeting
        WHERE p.node_key = ANY (node_keys) AND m.status = 'held'
        GROUP BY p.node_key;
    END IF;
END
$$;

-- Newly held meetings move their trajectory's and their participants' values forward.
CREATE FUNCTION last_held_advance(held_meetings bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE trajectories t SET last_held = n.last
    FROM (SELECT m.trajectory, max(m.starts_at) AS last FROM meetings m
          WHERE m.id = ANY (held_meetings) AND m.status = 'held' AND m.trajectory IS NOT NULL GROUP BY m.trajectory) n
    WHERE t.key = n.trajectory AND (t.last_held IS NULL OR t.last_held < n.last);
    INSERT INTO node_last_held (node_key, last_held)
    SELECT p.node_key, max(m.starts_at)
    FROM meetings m JOIN meeting_participants p ON p.meeting = m.id
    WHERE m.id = ANY (held_meetings) AND m.status = 'held'
    GROUP BY p.node_key
    ON CONFLICT (node_key) DO UPDATE SET last_held = excluded.last_held
        WHERE node_last_held.last_held < excluded.last_held;
END
$$;

-- The two trigger functions run as the owner of the tables (SECURITY DEFINER): the values are
-- bookkeeping of the database, not writes of the daemon, so they stay right whatever the
-- daemon role was granted (deploy/database.sql grants new tables' UPDATE only when run again).
CREATE FUNCTION meetings_last_held() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The participants come after the meeting; their own trigger moves the nodes forward.
        PERFORM last_held_advance(ARRAY(SELECT id FROM meetings_new_rows WHERE status = 'held'));
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only rows whose status, start or trajectory changed; a note on a held meeting changes nothing.
        PERFORM last_held_recompute(
            ARRAY(SELECT DISTINCT k FROM meetings_old_rows o JOIN meetings_new_rows n ON n.id = o.id
                  CROSS JOIN LATERAL unnest(ARRAY[o.trajectory, n.trajectory]) AS k
                  WHERE o.status = 'held' AND k IS NOT NULL
                    AND (o.status, o.starts_at, o.trajectory) IS DISTINCT FROM (n.status, n.starts_at, n.trajectory)),
            ARRAY(SELECT DISTINCT p.node_key FROM meetings_old_rows o JOIN meetings_new_rows n ON n.id = o.id
                  JOIN meeting_participants p ON p.meeting = o.id
                  WHERE o.status = 'held' AND (o.status, o.starts_at) IS DISTINCT FROM (n.status, n.starts_at)));
        PERFORM last_held_advance(
            ARRAY(SELECT n.id FROM meetings_old_rows o JOIN meetings_new_rows n ON n.id = o.id
                  WHERE n.status = 'held' AND (o.status, o.starts_at, o.trajectory) IS DISTINCT FROM (n.status, n.starts_at, n.trajectory)));
    ELSE
        -- The participants go by ON DELETE CASCADE; their own trigger computes the nodes again.
        PERFORM last_held_recompute(
            ARRAY(SELECT DISTINCT trajectory FROM meetings_old_rows WHERE status = 'held' AND trajectory IS NOT NULL),
            '{}');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER meetings_last_held_insert AFTER INSERT ON meetings
    REFERENCING NEW TABLE AS meetings_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_last_held();
CREATE TRIGGER meetings_last_held_update AFTER UPDATE ON meetings
    REFERENCING OLD TABLE AS meetings_old_rows NEW TABLE AS meetings_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_last_held();
CREATE TRIGGER meetings_last_held_delete AFTER DELETE ON meetings
    REFERENCING OLD TABLE AS meetings_old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meetings_last_held();

CREATE FUNCTION meeting_participants_last_held() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO node_last_held (node_key, last_held)
        SELECT r.node_key, max(m.starts_at)
        FROM participants_new_rows r JOIN meetings m ON m.id = r.meeting
        WHERE m.status = 'held'
        GROUP BY r.node_key
        ON CONFLICT (node_key) DO UPDATE SET last_held = excluded.last_held
            WHERE node_last_held.last_held < excluded.last_held;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM last_held_recompute('{}',
            ARRAY(SELECT node_key FROM participants_old_rows UNION SELECT node_key FROM participants_new_rows));
    ELSE
        PERFORM last_held_recompute('{}', ARRAY(SELECT DISTINCT node_key FROM participants_old_rows));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER meeting_participants_last_held_insert AFTER INSERT ON meeting_participants
    REFERENCING NEW TABLE AS participants_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meeting_participants_last_held();
CREATE TRIGGER meeting_participants_last_held_update AFTER UPDATE ON meeting_participants
    REFERENCING OLD TABLE AS participants_old_rows NEW TABLE AS participants_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meeting_participants_last_held();
CREATE TRIGGER meeting_participants_last_held_delete AFTER DELETE ON meeting_participants
    REFERENCING OLD TABLE AS participants_old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION meeting_participants_last_held();

-- The meetings already held.
UPDATE trajectories t SET last_held = h.last
FROM (SELECT trajectory, max(starts_at) AS last FROM meetings WHERE status = 'held' AND trajectory IS NOT NULL GROUP BY trajectory) h
WHERE t.key = h.trajectory;
INSERT INTO node_last_held (node_key, last_held)
SELECT p.node_key, max(m.starts_at)
FROM meeting_participants p JOIN meetings m ON m.id = p.meeting
WHERE m.status = 'held'
GROUP BY p.node_key;
