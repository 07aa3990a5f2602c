-- The primary key of claim_revisions carries each version's snapshot
-- digest, so a history page whose versions the server already holds is
-- answered from indexes alone, without a read of the revisions' heap.
--
-- A history page (src/store/claim_list.rs) finds each claim's current
-- version in claim_revisions and returns its digest, and its snapshot only
-- when the server does not hold that digest. With the digest in the key's
-- leaf pages, the look-up for a held version is an index-only scan; the
-- snapshot (about 1.2 KB of a 1.8 KB row, so at most a few versions to an
-- 8 KB heap page, scattered through the table) is read only for versions
-- the server lacks. At 10M claims the revisions' heap is 18 GB, past this
-- machine's memory, and that heap page was the one random read left in a
-- page of 50 held claims (EXPLAIN (ANALYZE, BUFFERS): 119 of 204 buffers of
-- a speaker page read from disk).
--
-- INCLUDE columns are stored in the leaf pages but are not part of the
-- key: uniqueness is on (claim_id, revision) alone, as before. Nothing
-- references this key, so it is dropped and made again in place.
ALTER TABLE claim_revisions DROP CONSTRAINT claim_revisions_pkey;
ALTER TABLE claim_revisions ADD CONSTRAINT claim_revisions_pkey
    PRIMARY KEY (claim_id, revision) INCLUDE (snapshot_digest);
