-- Append-only versions of every claim: the full record as JSON plus the
-- columns "as of" queries filter on. A version is current from record_time
-- until superseded_time (NULL while current).
CREATE TABLE claim_revisions (
    claim_id        uuid NOT NULL CONSTRAINT claim_revisions_claim_fkey REFERENCES claims (id),
    revision        bigint NOT NULL,
    change          text NOT NULL
        CONSTRAINT claim_revisions_change_check CHECK (change IN ('created', 'corrected', 'retracted', 'merged')),
    snapshot        jsonb NOT NULL,
    reason          text NOT NULL DEFAULT '',
    actor           text NOT NULL,
    record_time     timestamptz NOT NULL,
    superseded_time timestamptz,
    -- Filter columns, copied from the snapshot.
    article_id      uuid NOT NULL,
    publisher_id    uuid,
    kind            text NOT NULL,
    state           text NOT NULL,
    sort_time       timestamptz NOT NULL,
    create_time     timestamptz NOT NULL,
    speaker_ids     uuid[] NOT NULL,
    subject_ids     uuid[] NOT NULL,
    text            text NOT NULL,
    CONSTRAINT claim_revisions_pkey PRIMARY KEY (claim_id, revision)
);
CREATE INDEX claim_revisions_record_idx ON claim_revisions (record_time);
CREATE INDEX claim_revisions_sort_idx ON claim_revisions (sort_time, claim_id);
CREATE INDEX claim_revisions_speakers_idx ON claim_revisions USING gin (speaker_ids);
CREATE INDEX claim_revisions_subjects_idx ON claim_revisions USING gin (subject_ids);
