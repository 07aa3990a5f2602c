//! Entity rows: create, read, search, update, and the summaries claims show.

use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{entity_cache, Directory, StoreError};
use crate::domain::page::{Cursor, PageSize};
use crate::domain::text::fold_name;
use crate::domain::{Entity, EntityFilter, EntityKind, EntityPatch, EntitySummary, NewEntity};

/// Columns of [`EntityRow`], for `SELECT ... FROM entities e`.
const ENTITY_COLUMNS: &str = "e.id, e.kind, e.name, e.description, e.merged_into, e.revision, \
     e.create_time, e.update_time, \
     coalesce((SELECT array_agg(n.name ORDER BY n.name) FROM entity_names n \
               WHERE n.entity_id = e.id AND NOT n.is_canonical), '{}') AS aliases, \
     coalesce((SELECT array_agg(x.external_id ORDER BY x.external_id) FROM entity_external_ids x \
               WHERE x.entity_id = e.id), '{}') AS external_ids";

#[derive(sqlx::FromRow)]
struct EntityRow {
    id: Uuid,
    kind: String,
    name: String,
    description: String,
    merged_into: Option<Uuid>,
    revision: i64,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    aliases: Vec<String>,
    external_ids: Vec<String>,
}

impl EntityRow {
    fn into_entity(self) -> Result<Entity, StoreError> {
        Ok(Entity {
            id: self.id,
            kind: parse_kind(&self.kind)?,
            name: self.name,
            aliases: self.aliases,
            external_ids: self.external_ids,
            description: self.description,
            merged_into: self.merged_into,
            revision: self.revision,
            create_time: self.create_time,
            update_time: self.update_time,
        })
    }
}

fn parse_kind(s: &str) -> Result<EntityKind, StoreError> {
    EntityKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("entity kind {s:?}")))
}

/// Inserts a new entity with its names, external ids and first revision.
pub(super) async fn insert(
    conn: &mut PgConnection,
    new: &NewEntity,
    actor: &str,
) -> Result<Entity, StoreError> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO entities (id, kind, name, description) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(new.kind.as_str())
        .bind(&new.name)
        .bind(&new.description)
        .execute(&mut *conn)
        .await?;
    write_names(conn, id, &new.name, &new.aliases).await?;
    write_external_ids(conn, id, &new.external_ids).await?;
    let entity = get(conn, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("entity vanished after insert".into()))?;
    write_revision(conn, &entity, actor).await?;
    Ok(entity)
}

/// Inserts new entities (no aliases; at most one external id each, unused)
/// in four statements whatever their number: the batch form of [`insert`]
/// for the entities an import creates. Returns their ids in order.
pub(super) async fn insert_many(
    conn: &mut PgConnection,
    new: &[NewEntity],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let entities: Vec<Entity> = new
        .iter()
        .map(|n| Entity {
            id: Uuid::now_v7(),
            kind: n.kind,
            name: n.name.clone(),
            aliases: Vec::new(),
            external_ids: n.external_ids.clone(),
            description: n.description.clone(),
            merged_into: None,
            revision: 1,
            create_time: now,
            update_time: now,
        })
        .collect();
    let ids: Vec<Uuid> = entities.iter().map(|e| e.id).collect();
    let kinds: Vec<&str> = entities.iter().map(|e| e.kind.as_str()).collect();
    let names: Vec<&str> = entities.iter().map(|e| e.name.as_str()).collect();
    let descriptions: Vec<&str> = entities.iter().map(|e| e.description.as_str()).collect();
    sqlx::query(
        "INSERT INTO entities (id, kind, name, description, create_time, update_time) \
         SELECT i, k, n, d, $5, $5 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS t(i, k, n, d)",
    )
    .bind(&ids)
    .bind(&kinds)
    .bind(&names)
    .bind(&descriptions)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let folded: Vec<String> = names.iter().map(|n| fold_name(n)).collect();
    sqlx::query(
        "INSERT INTO entity_names (entity_id, name, name_norm, is_canonical) \
         SELECT i, n, f, true FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(i, n, f)",
    )
    .bind(&ids)
    .bind(&names)
    .bind(&folded)
    .execute(&mut *conn)
    .await?;
    let (x_ids, x_owners): (Vec<&str>, Vec<Uuid>) = entities
        .iter()
        .flat_map(|e| e.external_ids.iter().map(move |x| (x.as_str(), e.id)))
        .unzip();
    if !x_ids.is_empty() {
        sqlx::query(
            "INSERT INTO entity_external_ids (external_id, entity_id) \
             SELECT x, i FROM unnest($1::text[], $2::uuid[]) AS t(x, i)",
        )
        .bind(&x_ids)
        .bind(&x_owners)
        .execute(&mut *conn)
        .await?;
    }
    let snapshots = entities
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "INSERT INTO entity_revisions (entity_id, revision, snapshot, actor, record_time) \
         SELECT i, 1, s, $3, $4 FROM unnest($1::uuid[], $2::jsonb[]) AS t(i, s)",
    )
    .bind(&ids)
    .bind(&snapshots)
    .bind(actor)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(ids)
}

/// Replaces an entity's names: the canonical one first, so an alias that
/// folds to the same key as the name is dropped rather than kept twice.
async fn write_names(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    aliases: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM entity_names WHERE entity_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let names: Vec<String> = std::iter::once(name.to_string())
        .chain(aliases.iter().cloned())
        .collect();
    let folded: Vec<String> = names.iter().map(|n| fold_name(n)).collect();
    let canonical: Vec<bool> = (0..names.len()).map(|i| i == 0).collect();
    sqlx::query(
        "INSERT INTO entity_names (entity_id, name, name_norm, is_canonical) \
         SELECT $1, n, f, c FROM unnest($2::text[], $3::text[], $4::bool[]) WITH ORDINALITY AS t(n, f, c, o) \
         ORDER BY o ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(names)
    .bind(folded)
    .bind(canonical)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_external_ids(
    conn: &mut PgConnection,
    id: Uuid,
    external_ids: &[String],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM entity_external_ids WHERE entity_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO entity_external_ids (external_id, entity_id) SELECT x, $1 FROM unnest($2::text[]) x",
    )
    .bind(id)
    .bind(external_ids.to_vec())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn write_revision(
    conn: &mut PgConnection,
    entity: &Entity,
    actor: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO entity_revisions (entity_id, revision, snapshot, actor) VALUES ($1, $2, $3, $4)",
    )
    .bind(entity.id)
    .bind(entity.revision)
    .bind(serde_json::to_value(entity)?)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// One entity by id, merged or not.
pub(super) async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Entity>, StoreError> {
    let sql = format!("SELECT {ENTITY_COLUMNS} FROM entities e WHERE e.id = $1");
    let row: Option<EntityRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(EntityRow::into_entity).transpose()
}

/// A page of entities: by fuzzy match score when there is a query (best
/// first), else alphabetically.
pub(super) async fn list(
    conn: &mut PgConnection,
    filter: &EntityFilter,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<Vec<(Entity, Cursor)>, StoreError> {
    let kind = filter.kind.map(EntityKind::as_str);
    let limit = size.get() as i64 + 1;
    let rows: Vec<(EntityRow, f64)> = match &filter.query {
        Some(q) => {
            let sql = format!(
                "SELECT {ENTITY_COLUMNS}, s.score FROM ( \
                   SELECT n.entity_id, max(greatest(similarity(n.name_norm, $1), word_similarity($1, n.name_norm)))::float8 AS score \
                   FROM entity_names n WHERE lower(n.name_norm) % $1 OR $1 <% lower(n.name_norm) GROUP BY n.entity_id \
                 ) s JOIN entities e ON e.id = s.entity_id \
                 WHERE e.merged_into IS NULL AND ($2::text IS NULL OR e.kind = $2) \
                   AND ($3::float8 IS NULL OR s.score < $3 OR (s.score = $3 AND e.id > $4)) \
                 ORDER BY s.score DESC, e.id LIMIT $5"
            );
            let rows: Vec<ScoredRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(q)
                .bind(kind)
                .bind(after.and_then(|c| c.score))
                .bind(after.map(|c| c.id))
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?;
            rows.into_iter().map(|r| (r.entity, r.score)).collect()
        }
        None => {
            let sql = format!(
                "SELECT {ENTITY_COLUMNS} FROM entities e \
                 WHERE e.merged_into IS NULL AND ($1::text IS NULL OR e.kind = $1) \
                   AND ($2::text IS NULL OR (e.name, e.id) > ($2, $3)) \
                 ORDER BY e.name, e.id LIMIT $4"
            );
            let rows: Vec<EntityRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(kind)
                .bind(after.and_then(|c| c.text.clone()))
                .bind(after.map(|c| c.id))
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?;
            rows.into_iter().map(|r| (r, 0.0)).collect()
        }
    };
    let scored = filter.query.is_some();
    rows.into_iter()
        .map(|(row, score)| {
            let cursor = Cursor {
                time: None,
                text: (!scored).then(|| row.name.clone()),
                score: scored.then_some(score),
                number: None,
                id: row.id,
            };
            Ok((row.into_entity()?, cursor))
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct ScoredRow {
    #[sqlx(flatten)]
    entity: EntityRow,
    score: f64,
}

/// Applies a patch, checking the expected revision; appends a revision.
pub(super) async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    patch: &EntityPatch,
    expected_revision: i64,
    actor: &str,
) -> Result<Entity, StoreError> {
    let current: Option<i64> =
        sqlx::query_scalar("SELECT revision FROM entities WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let current =
        current.ok_or_else(|| StoreError::not_found("entity.id", "no entity with this id"))?;
    if expected_revision != 0 && expected_revision != current {
        return Err(StoreError::RevisionMismatch {
            expected: expected_revision,
            actual: current,
        });
    }
    let old = get(conn, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("entity vanished under lock".into()))?;
    let name = patch.name.clone().unwrap_or(old.name.clone());
    let aliases = patch.aliases.clone().unwrap_or(old.aliases.clone());
    sqlx::query(
        "UPDATE entities SET name = $2, kind = $3, description = $4, revision = revision + 1, \
         update_time = now() WHERE id = $1",
    )
    .bind(id)
    .bind(&name)
    .bind(patch.kind.unwrap_or(old.kind).as_str())
    .bind(patch.description.as_ref().unwrap_or(&old.description))
    .execute(&mut *conn)
    .await?;
    if patch.name.is_some() || patch.aliases.is_some() {
        write_names(conn, id, &name, &aliases).await?;
    }
    if let Some(ext) = &patch.external_ids {
        write_external_ids(conn, id, ext).await?;
    }
    let entity = get(conn, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("entity vanished after update".into()))?;
    write_revision(conn, &entity, actor).await?;
    Ok(entity)
}

/// The summaries (id, name, kind) of entities, from the cache when fresh
/// (see [`super::entity_cache`]).
pub(super) async fn summaries(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Directory, StoreError> {
    Ok(stamped_summaries(conn, ids).await?.dir)
}

/// Summaries, and how long a reader may keep them (see
/// [`crate::domain::Names`]).
pub(super) struct Stamped {
    /// The summaries by id.
    pub(super) dir: Directory,
    /// The entity cache's generation they were read at.
    pub(super) generation: u64,
    /// When the oldest of them expires.
    pub(super) until: Instant,
}

/// [`summaries`] with their stamp.
pub(super) async fn stamped_summaries(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Stamped, StoreError> {
    let entity_cache::Found {
        mut dir,
        missing,
        generation,
        until,
    } = entity_cache::lookup(ids);
    if !missing.is_empty() {
        let fetched = fetch_summaries(conn, &missing).await?;
        entity_cache::store(&fetched, generation);
        dir.extend(fetched);
    }
    Ok(Stamped {
        dir,
        generation,
        until,
    })
}

async fn fetch_summaries(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Directory, StoreError> {
    let rows: Vec<(Uuid, String, String)> =
        sqlx::query_as("SELECT id, name, kind FROM entities WHERE id = ANY($1)")
            .bind(ids.to_vec())
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter()
        .map(|(id, name, kind)| {
            let summary = EntitySummary {
                id,
                name,
                kind: parse_kind(&kind)?,
            };
            Ok((id, summary.into()))
        })
        .collect()
}
