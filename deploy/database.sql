-- Roles and database for a production Verbinder. See deploy/README.md.
--
-- Run as a PostgreSQL superuser, with psql, connected to any database:
--
--   psql -v ON_ERROR_STOP=1 -U postgres -d postgres -f deploy/database.sql \
--        -v owner_password='...' -v daemon_password='...'
--
-- The passwords are optional. Leave them out with peer or certificate authentication,
-- or set them later with \password.
--
-- Two roles:
--   verbinder_owner  owns the database, the schema and every table. Migrations run as this
--                    role (`verbinderd migrate`). The daemon never uses it.
--   verbinder        the daemon's login. It gets SELECT, INSERT, UPDATE and DELETE on the
--                    tables, except: only SELECT and INSERT on `audit` (append-only), only
--                    SELECT on `audit_mentions` and `audit_mentions_done` (the index of the
--                    trail, written by the owner's function `audit_mentions_catch_up()`,
--                    which the daemon calls) and on `schema_migrations`.
-- The daemon role does not own the audit table. An owner can always grant itself UPDATE
-- and DELETE again, or drop the table, so only a non-owner can be held to append-only.
--
-- The script is idempotent. Run it once before the first migration, and again after every
-- `verbinderd migrate`, so that tables added by new migrations get their grants.

\set ON_ERROR_STOP on

-- Roles ---------------------------------------------------------------------------------
SELECT 'CREATE ROLE verbinder_owner LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'verbinder_owner') \gexec
SELECT 'CREATE ROLE verbinder LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'verbinder') \gexec

-- Neither role may create roles or databases or bypass row security.
ALTER ROLE verbinder_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE verbinder       NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

\if :{?owner_password}
ALTER ROLE verbinder_owner PASSWORD :'owner_password';
\endif
\if :{?daemon_password}
ALTER ROLE verbinder PASSWORD :'daemon_password';
\endif

-- Database ------------------------------------------------------------------------------
SELECT 'CREATE DATABASE verbinder OWNER verbinder_owner ENCODING ''UTF8'' TEMPLATE template0'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'verbinder') \gexec

REVOKE ALL ON DATABASE verbinder FROM PUBLIC;
GRANT CONNECT ON DATABASE verbinder TO verbinder_owner, verbinder;

\connect verbinder

-- Schema --------------------------------------------------------------------------------
-- The migrations create their tables in `public`. The owner role owns it, and nobody
-- else may use it unless granted below.
ALTER SCHEMA public OWNER TO verbinder_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO verbinder;
-- CREATE is needed only because `verbinderd serve` runs the migrator at every start. The
-- migrator issues `CREATE TABLE IF NOT EXISTS schema_migrations`, and PostgreSQL checks
-- the CREATE privilege on the schema even when the table exists. With CREATE the daemon
-- role can add tables of its own, but it cannot alter or drop the owner's tables.
-- Revoke it once the migrator no longer needs it (deploy/README.md, "Known limits").
GRANT CREATE ON SCHEMA public TO verbinder;

-- Tables the owner creates from now on (new migrations): the daemon may read and append
-- at once. UPDATE and DELETE follow when this script is run again after the migration.
-- Until then new tables are append-only for the daemon, which is the safe side.
ALTER DEFAULT PRIVILEGES FOR ROLE verbinder_owner IN SCHEMA public
    GRANT SELECT, INSERT ON TABLES TO verbinder;
ALTER DEFAULT PRIVILEGES FOR ROLE verbinder_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO verbinder;

-- Tables that exist now (after a migration) -------------------------------------------
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO verbinder;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO verbinder;

-- UPDATE and DELETE on every table of the owner, except the two below.
SELECT format('GRANT UPDATE, DELETE ON TABLE %I.%I TO verbinder', schemaname, tablename)
FROM pg_tables
WHERE schemaname = 'public'
  AND tableowner = 'verbinder_owner'
  AND tablename NOT IN ('audit', 'audit_mentions', 'audit_mentions_done', 'schema_migrations')
ORDER BY tablename \gexec

-- The audit trail is append-only for the daemon: it may insert and read, nothing else.
SELECT 'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.audit FROM verbinder'
WHERE to_regclass('public.audit') IS NOT NULL \gexec
-- The index of the nodes each audit row mentions, and how far it goes, are written only by
-- `audit_mentions_catch_up()` (SECURITY DEFINER, owned by the owner role): the daemon may
-- read them and call it, nothing else, so it cannot leave a row out of the index.
SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLE public.%I FROM verbinder', t)
FROM unnest(ARRAY['audit_mentions', 'audit_mentions_done']) AS t
WHERE to_regclass('public.' || t) IS NOT NULL \gexec
-- Its sequence: nextval (through INSERT) yes, setval no.
SELECT 'REVOKE UPDATE ON SEQUENCE public.audit_id_seq FROM verbinder'
WHERE to_regclass('public.audit_id_seq') IS NOT NULL \gexec

-- Only migrations, run as the owner, record what is applied.
SELECT 'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON TABLE public.schema_migrations FROM verbinder'
WHERE to_regclass('public.schema_migrations') IS NOT NULL \gexec

-- A summary for the person running this.
SELECT c.relname AS "table",
       has_table_privilege('verbinder', c.oid, 'SELECT') AS "select",
       has_table_privilege('verbinder', c.oid, 'INSERT') AS "insert",
       has_table_privilege('verbinder', c.oid, 'UPDATE') AS "update",
       has_table_privilege('verbinder', c.oid, 'DELETE') AS "delete",
       has_table_privilege('verbinder', c.oid, 'TRUNCATE') AS "truncate"
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
ORDER BY c.relname;
