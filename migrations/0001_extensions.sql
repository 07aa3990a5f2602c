-- Trigram matching for fuzzy entity search. pg_trgm is a trusted contrib
-- extension shipped with PostgreSQL and offered by the common managed services.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
