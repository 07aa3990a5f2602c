-- Claims: the current version of every claim, with the columns queries filter
-- and sort on. The full record of each version lives in claim_revisions.
CREATE TABLE claims (
    id           uuid PRIMARY KEY,
    article_id   uuid NOT NULL CONSTRAINT claims_article_fkey REFERENCES articles (id),
    publisher_id uuid CONSTRAINT claims_publisher_fkey REFERENCES entities (id),
    -- Identity of the claim inside its article (kind, text, spans, speakers):
    -- re-ingesting the same claim finds it instead of storing it twice.
    fingerprint  text NOT NULL,
    kind         text NOT NULL CONSTRAINT claims_kind_check CHECK (kind IN ('direct', 'indirect', 'mixed')),
    text         text NOT NULL,
    state        text NOT NULL DEFAULT 'active'
        CONSTRAINT claims_state_check CHECK (state IN ('active', 'retracted')),
    revision     bigint NOT NULL DEFAULT 1,
    said_time    timestamptz,
    -- said_time, else the article's publication time, else the record time:
    -- the non-null key of "in the order they said it".
    sort_time    timestamptz NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    search       tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
    CONSTRAINT claims_article_fingerprint_key UNIQUE (article_id, fingerprint)
);
CREATE INDEX claims_sort_idx ON claims (sort_time, id);
CREATE INDEX claims_create_idx ON claims (create_time, id);
CREATE INDEX claims_article_idx ON claims (article_id, sort_time, id);
CREATE INDEX claims_publisher_idx ON claims (publisher_id, sort_time, id);
CREATE INDEX claims_search_idx ON claims USING gin (search);

-- Who said each claim. Carries the claim's sort time so that a speaker's
-- history is one index scan in time order.
CREATE TABLE claim_speakers (
    claim_id  uuid NOT NULL CONSTRAINT claim_speakers_claim_fkey REFERENCES claims (id) ON DELETE CASCADE,
    position  int NOT NULL,
    entity_id uuid NOT NULL CONSTRAINT claim_speakers_entity_fkey REFERENCES entities (id),
    sort_time timestamptz NOT NULL,
    CONSTRAINT claim_speakers_pkey PRIMARY KEY (claim_id, position)
);
CREATE INDEX claim_speakers_history_idx ON claim_speakers (entity_id, sort_time, claim_id);

-- What each claim is about, likewise carrying the sort time.
CREATE TABLE claim_subjects (
    claim_id  uuid NOT NULL CONSTRAINT claim_subjects_claim_fkey REFERENCES claims (id) ON DELETE CASCADE,
    position  int NOT NULL,
    entity_id uuid NOT NULL CONSTRAINT claim_subjects_entity_fkey REFERENCES entities (id),
    role      text NOT NULL DEFAULT '',
    sort_time timestamptz NOT NULL,
    CONSTRAINT claim_subjects_pkey PRIMARY KEY (claim_id, position)
);
CREATE INDEX claim_subjects_history_idx ON claim_subjects (entity_id, sort_time, claim_id);
