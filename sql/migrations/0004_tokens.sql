-- Access tokens: only a SHA-256 hash of each token is kept; the token itself is shown once.
CREATE TABLE tokens (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    role        text NOT NULL CHECK (role IN ('reader','connector','sender','admin')),
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
