-- Articles: the source documents.
CREATE TABLE articles (
    id             uuid PRIMARY KEY,
    url            text NOT NULL CONSTRAINT articles_url_key UNIQUE,
    title          text NOT NULL DEFAULT '',
    publisher_id   uuid CONSTRAINT articles_publisher_fkey REFERENCES entities (id),
    published_time timestamptz,
    language       text NOT NULL DEFAULT 'en',
    body           text NOT NULL DEFAULT '',
    body_sha256    text NOT NULL DEFAULT '',
    -- published_time, or the record time when the publication time is unknown:
    -- a non-null key for keyset pagination.
    sort_time      timestamptz NOT NULL,
    create_time    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX articles_sort_idx ON articles (sort_time DESC, id DESC);
CREATE INDEX articles_publisher_idx ON articles (publisher_id, sort_time DESC, id DESC);
