-- The durable, ordered log of claim changes that WatchClaims streams.
-- Writers append under one transaction-scoped advisory lock held until commit,
-- so `seq` order is commit order: a reader that sees event N has already been
-- able to see every committed event before it, and a cursor never skips one.
-- NOTIFY only wakes readers; the log is the source of truth.
CREATE TABLE claim_events (
    seq          bigserial PRIMARY KEY,
    claim_id     uuid NOT NULL CONSTRAINT claim_events_claim_fkey REFERENCES claims (id),
    revision     bigint NOT NULL,
    change       text NOT NULL,
    record_time  timestamptz NOT NULL,
    article_id   uuid NOT NULL,
    publisher_id uuid,
    kind         text NOT NULL,
    speaker_ids  uuid[] NOT NULL,
    subject_ids  uuid[] NOT NULL,
    text         text NOT NULL
);
