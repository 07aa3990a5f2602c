-- Entity revisions say what they did, so that a merge is visible as such.
ALTER TABLE entity_revisions ADD COLUMN change text NOT NULL DEFAULT 'updated';
ALTER TABLE entity_revisions ADD COLUMN reason text NOT NULL DEFAULT '';
CREATE INDEX entities_merged_into_idx ON entities (merged_into) WHERE merged_into IS NOT NULL;
