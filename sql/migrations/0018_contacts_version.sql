-- The contact persons change seldom and every calendar reads them: each daemon keeps them in
-- memory (ContactDirectory) and reads them again only when this number has moved. A trigger
-- moves it in the transaction of every statement that writes `contacts`, so a reader that sees
-- the new number sees the rows that moved it, whoever wrote them (a daemon, `verbinder import`,
-- psql). A counter row is used, not a sequence: a sequence moves before its transaction
-- commits, and a reader could keep the old rows under the new number.

CREATE TABLE contacts_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint  NOT NULL
);

INSERT INTO contacts_version (only_row, version) VALUES (true, 1);

-- Runs as the owner of the tables (SECURITY DEFINER): the number is the database's bookkeeping,
-- kept whatever the daemon's role was granted on it.
CREATE FUNCTION contacts_version_move() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    UPDATE contacts_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER contacts_version_move AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON contacts
    FOR EACH STATEMENT EXECUTE FUNCTION contacts_version_move();

-- The calendar of a node reads the goals of the trajectories it leads.
CREATE INDEX trajectories_lead ON trajectories (lead_key);
