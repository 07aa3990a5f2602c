-- Statement matching at scale. Finding a new claim's statement used to rank
-- every stored member of the same speaker set by trigram similarity: fine for
-- a speaker quoted a hundred times, a full scan for one quoted a hundred
-- thousand times. Each member now carries a sketch (bottom-k hashes of its
-- word pairs, salted with the speaker key; see domain::statement::sketch) and
-- a GIN index finds the members sharing a key with the new claim's sketch.
-- Rows stored before this migration get their sketch from the server at
-- start-up (it is computed in Rust, not SQL).
ALTER TABLE statement_members ADD COLUMN sketch bigint[] NOT NULL DEFAULT '{}';
-- fastupdate off: with the default pending list, every look-up scans up to
-- 4 MB of not-yet-merged entries, and ingest looks up right after inserting
-- (measured: 3.7 ms per look-up with 100k pending rows, 0.002 ms merged).
CREATE INDEX statement_members_sketch_idx ON statement_members USING gin (sketch)
    WITH (fastupdate = off);

-- Exact matches look up a hash of the normalized text: a btree entry cannot
-- hold a text over ~2.7 kB, and a long quote would have failed to index.
DROP INDEX statement_members_key_idx;
CREATE INDEX statement_members_exact_idx ON statement_members (speaker_key, md5(normalized_text));
