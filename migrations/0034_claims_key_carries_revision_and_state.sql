-- The primary key of claims carries each claim's current revision and
-- state, so the look-up of a claim in a history page is an index-only scan
-- that never reads the claim's row.
--
-- A history page (src/store/claim_list.rs) walks a link table's index, then
-- looks up each claim for its current revision (to find that version in
-- claim_revisions) and its state (retracted claims are left out unless
-- asked for). Those are the only columns of claims it reads. Measured at 1M
-- claims with pg_stat_statements, 50-claim speaker histories: 374 buffers a
-- page before, 335 after, for the same SQL; EXPLAIN (ANALYZE) of one warm
-- page: the claims look-ups 0.36 ms before, 0.15 ms after. Past
-- memory (10M claims) the rows skipped are random reads from disk.
--
-- INCLUDE columns are stored in the key's leaf pages but are not part of
-- the key: uniqueness is on id alone, as before. A primary key cannot be
-- altered in place, and the foreign keys that reference claims depend on
-- its index, so they are dropped and made again exactly as they were. At 1M
-- claims the whole migration took 10.5 s (the foreign keys are checked
-- again).

ALTER TABLE claim_speakers DROP CONSTRAINT claim_speakers_claim_fkey;
ALTER TABLE claim_subjects DROP CONSTRAINT claim_subjects_claim_fkey;
ALTER TABLE claim_revisions DROP CONSTRAINT claim_revisions_claim_fkey;
ALTER TABLE claim_events DROP CONSTRAINT claim_events_claim_fkey;
ALTER TABLE statement_members DROP CONSTRAINT statement_members_claim_fkey;
ALTER TABLE statement_decisions DROP CONSTRAINT statement_decisions_claim_fkey;

ALTER TABLE claims DROP CONSTRAINT claims_pkey;
ALTER TABLE claims ADD CONSTRAINT claims_pkey PRIMARY KEY (id) INCLUDE (revision, state);

ALTER TABLE claim_speakers ADD CONSTRAINT claim_speakers_claim_fkey
    FOREIGN KEY (claim_id) REFERENCES claims (id) ON DELETE CASCADE;
ALTER TABLE claim_subjects ADD CONSTRAINT claim_subjects_claim_fkey
    FOREIGN KEY (claim_id) REFERENCES claims (id) ON DELETE CASCADE;
ALTER TABLE claim_revisions ADD CONSTRAINT claim_revisions_claim_fkey
    FOREIGN KEY (claim_id) REFERENCES claims (id);
ALTER TABLE claim_events ADD CONSTRAINT claim_events_claim_fkey
    FOREIGN KEY (claim_id) REFERENCES claims (id);
ALTER TABLE statement_members ADD CONSTRAINT statement_members_claim_fkey
    FOREIGN KEY (claim_id) REFERENCES claims (id);
ALTER TABLE statement_decisions ADD CONSTRAINT statement_decisions_claim_fkey
    FOREIGN KEY (claim_id) REFERENCES claims (id);
