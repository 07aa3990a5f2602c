-- A claim version's snapshot is stored as json (its text, as written), not
-- jsonb.
--
-- Every read of a snapshot sends it to the client as text, and printing
-- jsonb as text is most of what PostgreSQL does to read one: 50 random
-- snapshots by key came back at 2,525 pages/s as jsonb and 4,682 as json
-- (pgbench, 8 clients, the 1M-claim bench data, session 17). A history
-- page reads the snapshots of the versions the server does not hold, which
-- at 10M claims is about a third of them. json is sent as stored, and is
-- also smaller on disk (1,189 bytes a snapshot against 1,263).
--
-- What jsonb bought, claimdb does not use on the hot paths: nothing indexes
-- inside a snapshot; the ->> look-ups that remain (a past moment's list
-- filtered by statement, an entity merge finding recipients and carriers)
-- parse the text instead, and the one in-place rewrite (a statement move)
-- goes through jsonb_set and back.
--
-- The digest of every existing version stays the same: json made from
-- jsonb holds jsonb's text, which is what the digest was computed from, so
-- the link rows' digests (migration 0036) stay right. New versions keep
-- the text the server wrote, and the digest is of that text.
--
-- One ALTER TABLE rewrites the table once: the generated digest column
-- depends on the snapshot's type, so it is dropped and added back in the
-- same statement (with the primary key that includes it, made again after),
-- and the trigger naming the column is made again around it. Upgrade time:
-- 27 s for the 1M-claim bench database (1.9 GB of revisions, in memory;
-- session 17), during which the table is locked. It grows with the table:
-- expect minutes at 10M claims.
CREATE FUNCTION claimdb_snapshot_digest(snapshot json) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT encode(substring(sha256(convert_to(snapshot::text, 'UTF8')) FROM 1 FOR 16), 'hex')::uuid $$;

DROP TRIGGER claim_revisions_links_follow_snapshot ON claim_revisions;

ALTER TABLE claim_revisions
    DROP COLUMN snapshot_digest,
    ALTER COLUMN snapshot TYPE json USING snapshot::json,
    ADD COLUMN snapshot_digest uuid NOT NULL
        GENERATED ALWAYS AS (claimdb_snapshot_digest(snapshot)) STORED;

ALTER TABLE claim_revisions ADD CONSTRAINT claim_revisions_pkey
    PRIMARY KEY (claim_id, revision) INCLUDE (snapshot_digest);

CREATE TRIGGER claim_revisions_links_follow_snapshot
    AFTER UPDATE OF snapshot ON claim_revisions
    FOR EACH ROW
    WHEN (OLD.snapshot_digest IS DISTINCT FROM NEW.snapshot_digest)
    EXECUTE FUNCTION claimdb_links_follow_snapshot();

DROP FUNCTION claimdb_snapshot_digest(jsonb);
