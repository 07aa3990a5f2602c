-- Statements: the underlying remark shared by the claims (in different
-- articles) that report the same words by the same speakers. The aggregate
-- columns (first appearance, counts) are kept current by the store whenever
-- a claim joins or leaves, so lists can be ordered and paged on an index.
CREATE TABLE statements (
    id                 uuid PRIMARY KEY,
    -- Sorted, deduplicated speaker ids joined by commas: claims only share a
    -- statement when their speaker sets are equal.
    speaker_key        text NOT NULL,
    speaker_ids        uuid[] NOT NULL,
    canonical_text     text NOT NULL,
    normalized_text    text NOT NULL,
    first_claim_id     uuid,
    -- Publication time of the first appearance's article (else the claim's
    -- sort time); NULL only while the statement has no claims.
    first_time         timestamptz,
    appearance_count   bigint NOT NULL DEFAULT 0,
    outlet_count       bigint NOT NULL DEFAULT 0,
    merged_into        uuid CONSTRAINT statements_merged_into_fkey REFERENCES statements (id),
    create_time        timestamptz NOT NULL,
    update_time        timestamptz NOT NULL,
    search             tsvector GENERATED ALWAYS AS (to_tsvector('english', canonical_text)) STORED
);
CREATE INDEX statements_first_idx ON statements (first_time, id) WHERE appearance_count > 0;
CREATE INDEX statements_count_idx ON statements (appearance_count DESC, id) WHERE appearance_count > 0;
CREATE INDEX statements_speakers_idx ON statements USING gin (speaker_ids);
CREATE INDEX statements_search_idx ON statements USING gin (search);

-- The statement each claim belongs to (NULL only for claims stored before
-- statements existed).
ALTER TABLE claims ADD COLUMN statement_id uuid CONSTRAINT claims_statement_fkey REFERENCES statements (id);
CREATE INDEX claims_statement_idx ON claims (statement_id, sort_time, id);

-- The matching keys of every claim: what later claims are compared with.
CREATE TABLE statement_members (
    claim_id        uuid PRIMARY KEY CONSTRAINT statement_members_claim_fkey REFERENCES claims (id),
    statement_id    uuid NOT NULL CONSTRAINT statement_members_statement_fkey REFERENCES statements (id),
    speaker_key     text NOT NULL,
    normalized_text text NOT NULL
);
CREATE INDEX statement_members_key_idx ON statement_members (speaker_key, normalized_text);
CREATE INDEX statement_members_statement_idx ON statement_members (statement_id);

-- Every decision that put a claim into a statement, with its score: the
-- automatic ones at ingest and the overrides (merge, split, import).
CREATE TABLE statement_decisions (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    claim_id              uuid NOT NULL CONSTRAINT statement_decisions_claim_fkey REFERENCES claims (id),
    statement_id          uuid NOT NULL CONSTRAINT statement_decisions_statement_fkey REFERENCES statements (id),
    previous_statement_id uuid,
    method                text NOT NULL CONSTRAINT statement_decisions_method_check
        CHECK (method IN ('new', 'exact', 'near', 'contained', 'merged', 'split', 'imported')),
    score                 double precision,
    threshold             double precision,
    actor                 text NOT NULL,
    reason                text NOT NULL DEFAULT '',
    record_time           timestamptz NOT NULL
);
CREATE INDEX statement_decisions_claim_idx ON statement_decisions (claim_id, id);
CREATE INDEX statement_decisions_statement_idx ON statement_decisions (statement_id, id);

-- Claim revisions may now record a move between statements.
ALTER TABLE claim_revisions DROP CONSTRAINT claim_revisions_change_check;
ALTER TABLE claim_revisions ADD CONSTRAINT claim_revisions_change_check
    CHECK (change IN ('created', 'corrected', 'retracted', 'merged', 'regrouped'));
