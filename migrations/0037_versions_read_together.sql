-- The snapshots of a page's claim versions, read in one bitmap heap scan so
-- that PostgreSQL fetches their heap pages together instead of one after
-- another.
--
-- A history page (src/store/claim_list.rs) finds its 50 claims in a link
-- index, then needs the snapshot of every version the server does not
-- already hold. Looked up one by one (a nested loop of primary-key probes),
-- each version's heap page is read only when the previous one has arrived.
-- Once the revisions' heap outgrows memory (18 GB at 10M claims) most of
-- those reads go to disk, and a cold subject page cost 50 reads in a row
-- (EXPLAIN (ANALYZE, BUFFERS) at 10M: 11.8 ms, 105 buffers read); that is
-- why a subject history's p99 grew 2.5x from 1M to 10M claims.
--
-- A bitmap heap scan collects the versions' heap addresses first and asks
-- the kernel for up to `effective_io_concurrency` of their pages at once
-- (the server raises that setting on its read connections when the
-- database leaves it at its default; see src/store/read_pool.rs). The
-- planner would not choose one here: claim ids are time-ordered UUIDs,
-- stored roughly in id order, so it prices probes for a handful of ids as
-- near-sequential. Plain index scans are therefore off inside this
-- function, and only inside it.
--
-- PL/pgSQL, so the plan of the query is prepared once per connection (a
-- SQL function with a SET clause is planned again at every call).
-- `revision = ANY` may match another listed claim's revision number; the
-- caller joins the rows back to its (claim_id, revision) pairs.
CREATE FUNCTION claimdb_versions(ids uuid[], revisions bigint[])
    RETURNS TABLE (claim_id uuid, revision bigint, snapshot jsonb)
    LANGUAGE plpgsql STABLE
    SET enable_indexscan = off
    AS $$
BEGIN
    RETURN QUERY
        SELECT r.claim_id, r.revision, r.snapshot
        FROM claim_revisions r
        WHERE r.claim_id = ANY (ids) AND r.revision = ANY (revisions);
END
$$;
