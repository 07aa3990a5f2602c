-- Statements are searched through their claims' full-text index (any
-- appearance's wording matches) rather than a second tsvector of their own:
-- computing to_tsvector is most of the CPU cost of storing a claim, and this
-- column computed it a second time for every new remark.
ALTER TABLE statements DROP COLUMN search;
