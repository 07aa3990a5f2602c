-- Entities: people, organizations, places and groups.
CREATE TABLE entities (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL
        CONSTRAINT entities_kind_check CHECK (kind IN ('person', 'organization', 'place', 'group', 'other')),
    name        text NOT NULL CONSTRAINT entities_name_check CHECK (name <> ''),
    description text NOT NULL DEFAULT '',
    merged_into uuid CONSTRAINT entities_merged_into_fkey REFERENCES entities (id),
    revision    bigint NOT NULL DEFAULT 1,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now()
);

-- Every name an entity answers to (its canonical name and its aliases), with
-- the case- and accent-folded form that resolution and search use.
CREATE TABLE entity_names (
    entity_id    uuid NOT NULL CONSTRAINT entity_names_entity_fkey REFERENCES entities (id) ON DELETE CASCADE,
    name         text NOT NULL,
    name_norm    text NOT NULL,
    is_canonical boolean NOT NULL,
    CONSTRAINT entity_names_pkey PRIMARY KEY (entity_id, name_norm)
);
CREATE INDEX entity_names_norm_idx ON entity_names (name_norm);
CREATE INDEX entity_names_trgm_idx ON entity_names USING gin (name_norm gin_trgm_ops);

-- External identifiers (e.g. wikidata:Q1234); each belongs to one entity.
CREATE TABLE entity_external_ids (
    external_id text CONSTRAINT entity_external_ids_pkey PRIMARY KEY,
    entity_id   uuid NOT NULL CONSTRAINT entity_external_ids_entity_fkey REFERENCES entities (id) ON DELETE CASCADE
);
CREATE INDEX entity_external_ids_entity_idx ON entity_external_ids (entity_id);

-- Append-only versions of every entity.
CREATE TABLE entity_revisions (
    entity_id   uuid NOT NULL CONSTRAINT entity_revisions_entity_fkey REFERENCES entities (id),
    revision    bigint NOT NULL,
    snapshot    jsonb NOT NULL,
    actor       text NOT NULL,
    record_time timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT entity_revisions_pkey PRIMARY KEY (entity_id, revision)
);
