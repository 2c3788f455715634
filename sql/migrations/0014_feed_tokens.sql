-- Feed tokens: a token that sits in a calendar subscription URL (`?token=`) reads the HTTP
-- calendar feeds and nothing else, and is revoked like any other. Only the set of roles grows.
ALTER TABLE tokens DROP CONSTRAINT IF EXISTS tokens_role_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_role_check CHECK (role IN ('reader','connector','sender','admin','feed'));
