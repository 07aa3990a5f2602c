-- API keys: who may call the server, with which role. Only a SHA-256 hash of
-- each key is stored (the key itself is shown once, when created). A revoked
-- key keeps its row (and its name stays in revisions' actor column); a new
-- key may then reuse the name.
CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    name        text NOT NULL
        CONSTRAINT api_keys_name_check CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'),
    role        text NOT NULL
        CONSTRAINT api_keys_role_check CHECK (role IN ('reader', 'writer', 'admin')),
    key_hash    bytea NOT NULL
        CONSTRAINT api_keys_key_hash_key UNIQUE,
    create_time timestamptz NOT NULL DEFAULT now(),
    revoke_time timestamptz
);

-- One active key per name.
CREATE UNIQUE INDEX api_keys_active_name_key ON api_keys (name) WHERE revoke_time IS NULL;
