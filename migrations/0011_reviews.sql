-- Fact-check verdicts on statements (schema.org ClaimReview compatible).
CREATE TABLE reviews (
    id           uuid PRIMARY KEY,
    statement_id uuid NOT NULL CONSTRAINT reviews_statement_fkey REFERENCES statements (id),
    reviewer_id  uuid NOT NULL CONSTRAINT reviews_reviewer_fkey REFERENCES entities (id),
    rating_text  text NOT NULL DEFAULT '',
    rating_value double precision,
    best_rating  double precision,
    worst_rating double precision,
    url          text NOT NULL,
    review_time  timestamptz,
    actor        text NOT NULL,
    create_time  timestamptz NOT NULL,
    CONSTRAINT reviews_statement_url_key UNIQUE (statement_id, url)
);
CREATE INDEX reviews_reviewer_idx ON reviews (reviewer_id);
