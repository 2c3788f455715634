-- The stakeholder graph and the audit trail.
-- Keys are stored as given (CBS codes upper-case, slugs lower-case) and compare
-- case-insensitively through the unique index on lower(key).

CREATE TABLE nodes (
    key         text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('municipality','region','province','ministry','knowledge','network','vng','partner')),
    name        text NOT NULL CHECK (name <> ''),
    -- name folded to lower case without diacritics, computed by the daemon (VerbinderGraph.Search.fold)
    search_name text NOT NULL,
    tier        text NOT NULL CHECK (tier IN ('local','regional','provincial','national')),
    province    text,
    themes      text[] NOT NULL DEFAULT '{}',
    attributes  jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX nodes_key_lower ON nodes (lower(key));
CREATE INDEX nodes_search_name ON nodes (search_name);

CREATE TABLE relations (
    id          bigserial PRIMARY KEY,
    from_key    text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE,
    relation    text NOT NULL CHECK (relation IN ('member_of','part_of','partner_of','works_with','advises','funds','represents')),
    to_key      text NOT NULL REFERENCES nodes(key) ON UPDATE CASCADE,
    themes      text[] NOT NULL DEFAULT '{}',
    since       date,
    until       date,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (from_key <> to_key),
    UNIQUE (from_key, relation, to_key)
);
CREATE INDEX relations_to ON relations (to_key);

-- Append-only: the daemon inserts, never updates or deletes (deploy/ revokes those grants).
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    remote      text,
    connection  bigint,
    command     text NOT NULL,
    changes     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
