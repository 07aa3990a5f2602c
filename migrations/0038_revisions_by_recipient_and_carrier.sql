-- Claim versions can be found by their recipient and their carrier.
--
-- An entity merge rewrites every claim whose current version names the
-- merged entity, and a claim names its recipient ("told the agency") and
-- its carrier (the outlet that relayed it) only inside its snapshot: the
-- link tables cover speakers and subjects, and `claims.publisher_id` the
-- publisher. Without these indexes a merge read and parsed the current
-- snapshot of every claim in the database to find the few that name the
-- entity as recipient or carrier. The two indexes hold only the versions
-- that have one (most have neither), and the merge's query uses them as
-- they are written (`snapshot->>'recipient_id' = $1::text`).
--
-- Upgrade time: each index parses every stored version's snapshot once.
-- During the build, writes to claim_revisions wait (reads do not).
CREATE INDEX claim_revisions_recipient_idx ON claim_revisions ((snapshot->>'recipient_id'))
    WHERE snapshot->>'recipient_id' IS NOT NULL;

CREATE INDEX claim_revisions_via_idx ON claim_revisions ((snapshot->>'via_id'))
    WHERE snapshot->>'via_id' IS NOT NULL;
