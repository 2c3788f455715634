-- AUDIT node=: the nodes each audit row is about, kept beside the trail, so that a node's rows
-- are read newest first through an index instead of by searching the text of the whole trail
-- (59 ms p99 on a decade's 5,000,000 rows; docs/benchmarks.md).
--
-- A row mentions a node when its changes have that key as `node`, `from` or `to`, or when a
-- word of its command (split at anything that cannot be in a key) is the key of a node at the
-- time of writing. Keys are kept in lower case: node keys are unique case-insensitively.

CREATE TABLE audit_mentions (
    node_key text   NOT NULL,
    audit    bigint NOT NULL,
    PRIMARY KEY (node_key, audit)
);

-- Once per statement, over the rows it inserted: a grouped LINK or a bulk load writes its
-- mentions in one statement too. Each word is looked up in the nodes' index on lower(key):
-- about 0.1 ms on a one-row statement, 45 s for 5,000,000 rows.
CREATE FUNCTION audit_mentions_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_mentions (node_key, audit)
    SELECT lower(n.key), r.id
    FROM audit_new_rows r
    JOIN nodes n ON lower(n.key) = ANY (regexp_split_to_array(lower(r.command), '[^a-z0-9_-]+'))
    UNION
    SELECT lower(v), r.id
    FROM audit_new_rows r
    CROSS JOIN LATERAL unnest(ARRAY[r.changes->>'node', r.changes->>'from', r.changes->>'to']) AS v
    WHERE v IS NOT NULL AND v <> '';
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_mentions AFTER INSERT ON audit
    REFERENCING NEW TABLE AS audit_new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION audit_mentions_insert();

-- The rows already written, the same way.
INSERT INTO audit_mentions (node_key, audit)
SELECT lower(n.key), r.id
FROM audit r
JOIN nodes n ON lower(n.key) = ANY (regexp_split_to_array(lower(r.command), '[^a-z0-9_-]+'))
UNION
SELECT lower(v), r.id
FROM audit r
CROSS JOIN LATERAL unnest(ARRAY[r.changes->>'node', r.changes->>'from', r.changes->>'to']) AS v
WHERE v IS NOT NULL AND v <> '';
