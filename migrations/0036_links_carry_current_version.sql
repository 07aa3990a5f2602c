-- Every speaker and subject link row carries its claim's current revision,
-- state and snapshot digest, and the history indexes include them, so a
-- page of a speaker's or a subject's history whose versions the server
-- already holds is answered by one index range scan: no look-up of each
-- claim in `claims` (for its revision and state) and none in
-- `claim_revisions` (for the digest).
--
-- Before, a 50-claim page was a range scan plus 100 primary-key probes
-- scattered over two indexes that together outgrow memory long before the
-- link index does; those probes are what made the history's p99 grow
-- 1.7x from 1M to 10M claims (docs/PERFORMANCE.md, "Growth").
--
-- The price is on writes: a correction, retraction or merge already
-- rewrites the claim's link rows (src/store/claims.rs, `write_links`), and
-- now writes them after the new version so that they can carry its digest.
-- A snapshot rewritten in place (a statement re-assignment sets
-- `statement_id` inside revision 1) changes its digest; the trigger below
-- carries that to the link rows of that version, so no writer can leave
-- them naming a digest the version no longer has.
--
-- Upgrading: every link row is rewritten once. The history indexes are
-- dropped first (nothing maintains them during the rewrite) and built
-- again after it (at 1M claims the whole migration took 34 s). Index-only
-- scans need the visibility map, which the next (auto)vacuum of each link
-- table sets; until then a page also reads the link rows' heap.

ALTER TABLE claim_speakers
    ADD COLUMN revision bigint,
    ADD COLUMN state text,
    ADD COLUMN snapshot_digest uuid;
ALTER TABLE claim_subjects
    ADD COLUMN revision bigint,
    ADD COLUMN state text,
    ADD COLUMN snapshot_digest uuid;

DROP INDEX claim_speakers_history_idx;
DROP INDEX claim_subjects_history_idx;

UPDATE claim_speakers d
    SET revision = c.revision, state = c.state, snapshot_digest = r.snapshot_digest
    FROM claims c JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision
    WHERE c.id = d.claim_id;
UPDATE claim_subjects d
    SET revision = c.revision, state = c.state, snapshot_digest = r.snapshot_digest
    FROM claims c JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision
    WHERE c.id = d.claim_id;

ALTER TABLE claim_speakers
    ALTER COLUMN revision SET NOT NULL,
    ALTER COLUMN state SET NOT NULL,
    ALTER COLUMN snapshot_digest SET NOT NULL,
    ADD CONSTRAINT claim_speakers_state_check CHECK (state IN ('active', 'retracted'));
ALTER TABLE claim_subjects
    ALTER COLUMN revision SET NOT NULL,
    ALTER COLUMN state SET NOT NULL,
    ALTER COLUMN snapshot_digest SET NOT NULL,
    ADD CONSTRAINT claim_subjects_state_check CHECK (state IN ('active', 'retracted'));

-- INCLUDE columns are stored in the leaf pages but are not part of the key:
-- the scan order is (entity_id, sort_time, claim_id), as before.
CREATE INDEX claim_speakers_history_idx ON claim_speakers (entity_id, sort_time, claim_id)
    INCLUDE (revision, state, snapshot_digest);
CREATE INDEX claim_subjects_history_idx ON claim_subjects (entity_id, sort_time, claim_id)
    INCLUDE (revision, state, snapshot_digest);

-- A version's snapshot rewritten in place: its link rows (those naming that
-- revision, which are the claim's rows while it is current) take the new
-- digest. New versions write their link rows themselves.
CREATE FUNCTION claimdb_links_follow_snapshot() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE claim_speakers SET snapshot_digest = NEW.snapshot_digest
        WHERE claim_id = NEW.claim_id AND revision = NEW.revision;
    UPDATE claim_subjects SET snapshot_digest = NEW.snapshot_digest
        WHERE claim_id = NEW.claim_id AND revision = NEW.revision;
    RETURN NULL;
END
$$;

CREATE TRIGGER claim_revisions_links_follow_snapshot
    AFTER UPDATE OF snapshot ON claim_revisions
    FOR EACH ROW
    WHEN (OLD.snapshot_digest IS DISTINCT FROM NEW.snapshot_digest)
    EXECUTE FUNCTION claimdb_links_follow_snapshot();
