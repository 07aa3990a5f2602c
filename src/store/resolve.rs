//! Entity resolution: turning the references in a request into entity ids,
//! creating the ones that do not exist yet.
//!
//! Concurrent ingests that name the same new entity must create it once.
//! Each transaction therefore takes a transaction-scoped advisory lock per
//! name (and external id) it may create, all in one sorted order, before
//! looking anything up: a second transaction naming the same entity waits
//! for the first to commit and then finds its row. Sorting the keys rules out
//! lock-order deadlocks.

use std::collections::{HashMap, HashSet};

use sqlx::PgConnection;
use uuid::Uuid;

use super::{entities, StoreError};
use crate::domain::text::fold_name;
use crate::domain::{EntityKind, EntityRef, NewEntity};

/// Resolves references within one transaction, remembering answers so a
/// name used by many claims costs one look-up.
pub(super) struct Resolver<'a> {
    actor: &'a str,
    cache: HashMap<EntityRef, Uuid>,
}

/// The advisory-lock key of a reference that may create an entity.
pub(super) fn lock_key(r: &EntityRef) -> Option<String> {
    match r {
        EntityRef::Id(_) => None,
        EntityRef::External { external_id, .. } => Some(format!("x:{external_id}")),
        EntityRef::Name { name, .. } => Some(format!("n:{}", fold_name(name))),
    }
}

/// Takes the advisory locks for every reference that may create an entity,
/// in sorted order.
pub(super) async fn lock_refs<'r>(
    conn: &mut PgConnection,
    refs: impl Iterator<Item = &'r EntityRef>,
) -> Result<(), StoreError> {
    let mut keys: Vec<String> = refs.filter_map(lock_key).collect();
    keys.sort();
    keys.dedup();
    lock_keys(conn, &keys).await
}

/// Tries the advisory locks of every reference that may create an entity,
/// without waiting; returns the keys another transaction holds.
pub(super) async fn try_lock_refs<'r>(
    conn: &mut PgConnection,
    refs: impl Iterator<Item = &'r EntityRef>,
) -> Result<HashSet<String>, StoreError> {
    let mut keys: Vec<String> = refs.filter_map(lock_key).collect();
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT k FROM unnest($1::text[]) AS k WHERE NOT pg_try_advisory_xact_lock(hashtextextended(k, 0))",
    )
    .bind(&keys)
    .fetch_all(&mut *conn)
    .await?;
    Ok(held.into_iter().collect())
}

/// Takes transaction-scoped advisory locks on the given (sorted) keys, in
/// their order, in one round trip (a function scan over an array yields its
/// elements in order).
pub(super) async fn lock_keys(conn: &mut PgConnection, keys: &[String]) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k",
    )
    .bind(keys)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a batch look-up found for one reference.
#[derive(Debug, Clone)]
pub(super) enum Lookup {
    /// Exactly one entity (merged entities resolve to their survivor).
    Found(Uuid),
    /// Several entities share the name.
    Ambiguous(Vec<Uuid>),
    /// Nothing yet.
    Missing,
}

/// Looks up many references at once (three queries whatever their number),
/// without creating anything: the batch form of [`find`].
pub(super) async fn lookup_many(
    conn: &mut PgConnection,
    refs: &[&EntityRef],
) -> Result<HashMap<EntityRef, Lookup>, StoreError> {
    let (mut ids, mut externals, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for r in refs {
        match r {
            EntityRef::Id(id) => ids.push(*id),
            EntityRef::External { external_id, .. } => externals.push(external_id.clone()),
            EntityRef::Name { name, .. } => names.push(fold_name(name)),
        }
    }
    let by_id: HashMap<Uuid, Uuid> =
        sqlx::query_as("SELECT id, coalesce(merged_into, id) FROM entities WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let by_external: HashMap<String, Uuid> = if externals.is_empty() {
        HashMap::new()
    } else {
        sqlx::query_as(
            "SELECT x.external_id, coalesce(e.merged_into, e.id) FROM entity_external_ids x \
             JOIN entities e ON e.id = x.entity_id WHERE x.external_id = ANY($1)",
        )
        .bind(&externals)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect()
    };
    let named: Vec<(String, Uuid, String)> = if names.is_empty() {
        Vec::new()
    } else {
        names.sort();
        names.dedup();
        sqlx::query_as(
            "SELECT n.name_norm, e.id, e.kind FROM unnest($1::text[]) AS q(norm) \
             JOIN entity_names n ON n.name_norm = q.norm \
             JOIN entities e ON e.id = n.entity_id WHERE e.merged_into IS NULL",
        )
        .bind(&names)
        .fetch_all(&mut *conn)
        .await?
    };
    let mut by_name: HashMap<String, Vec<(Uuid, String)>> = HashMap::new();
    for (norm, id, kind) in named {
        by_name.entry(norm).or_default().push((id, kind));
    }
    for candidates in by_name.values_mut() {
        candidates.sort();
        candidates.dedup();
    }
    let mut out = HashMap::new();
    for r in refs {
        let found = match r {
            EntityRef::Id(id) => by_id
                .get(id)
                .copied()
                .map_or(Lookup::Missing, Lookup::Found),
            EntityRef::External { external_id, .. } => by_external
                .get(external_id)
                .copied()
                .map_or(Lookup::Missing, Lookup::Found),
            EntityRef::Name { name, kind } => {
                let ids: Vec<Uuid> = by_name
                    .get(&fold_name(name))
                    .into_iter()
                    .flatten()
                    .filter(|(_, k)| kind.is_none_or(|want| want.as_str() == k))
                    .map(|(id, _)| *id)
                    .take(20)
                    .collect();
                match ids.as_slice() {
                    [] => Lookup::Missing,
                    [one] => Lookup::Found(*one),
                    _ => Lookup::Ambiguous(ids),
                }
            }
        };
        out.insert((*r).clone(), found);
    }
    Ok(out)
}

impl<'a> Resolver<'a> {
    /// A resolver that records `actor` on the entities it creates.
    pub(super) fn new(actor: &'a str) -> Self {
        Self {
            actor,
            cache: HashMap::new(),
        }
    }

    /// The id `r` refers to, creating the entity when a name or external id
    /// finds nothing. Call [`lock_refs`] first.
    pub(super) async fn resolve(
        &mut self,
        conn: &mut PgConnection,
        field: &str,
        r: &EntityRef,
    ) -> Result<Uuid, StoreError> {
        if let Some(id) = self.cache.get(r) {
            return Ok(*id);
        }
        let id = match find_or_none(conn, field, r).await? {
            Some(id) => id,
            None => self.create(conn, field, r).await?,
        };
        self.cache.insert(r.clone(), id);
        Ok(id)
    }

    async fn create(
        &self,
        conn: &mut PgConnection,
        field: &str,
        r: &EntityRef,
    ) -> Result<Uuid, StoreError> {
        let (name, kind, external) = match r {
            EntityRef::Name { name, kind } => (name.clone(), *kind, None),
            EntityRef::External {
                external_id,
                name: Some(name),
                kind,
            } => (name.clone(), *kind, Some(external_id.clone())),
            EntityRef::External { external_id, .. } => {
                return Err(StoreError::not_found(
                    format!("{field}.external_id"),
                    format!(
                        "no entity has external id {external_id}; give a name too to create it"
                    ),
                ))
            }
            EntityRef::Id(id) => {
                return Err(StoreError::not_found(
                    format!("{field}.id"),
                    format!("no entity with id {id}"),
                ))
            }
        };
        let new = NewEntity {
            kind: kind.unwrap_or(EntityKind::Other),
            name,
            aliases: Vec::new(),
            external_ids: external.into_iter().collect(),
            description: String::new(),
        };
        Ok(entities::insert(conn, &new, self.actor).await?.id)
    }
}

/// The id `r` refers to, without creating anything: NOT_FOUND when nothing
/// matches, FAILED_PRECONDITION when a name is ambiguous. Merged entities
/// resolve to their survivor.
pub(super) async fn find(
    conn: &mut PgConnection,
    field: &str,
    r: &EntityRef,
) -> Result<Uuid, StoreError> {
    find_or_none(conn, field, r).await?.ok_or_else(|| {
        let what = match r {
            EntityRef::Id(id) => format!("no entity with id {id}"),
            EntityRef::External { external_id, .. } => {
                format!("no entity has external id {external_id}")
            }
            EntityRef::Name { name, .. } => format!("no entity is named {name:?}"),
        };
        StoreError::not_found(field, what)
    })
}

async fn find_or_none(
    conn: &mut PgConnection,
    field: &str,
    r: &EntityRef,
) -> Result<Option<Uuid>, StoreError> {
    match r {
        EntityRef::Id(id) => Ok(sqlx::query_scalar(
            "SELECT coalesce(merged_into, id) FROM entities WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?),
        EntityRef::External { external_id, .. } => Ok(sqlx::query_scalar(
            "SELECT coalesce(e.merged_into, e.id) FROM entity_external_ids x \
             JOIN entities e ON e.id = x.entity_id WHERE x.external_id = $1",
        )
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?),
        EntityRef::Name { name, kind } => find_by_name(conn, field, name, *kind).await,
    }
}

async fn find_by_name(
    conn: &mut PgConnection,
    field: &str,
    name: &str,
    kind: Option<EntityKind>,
) -> Result<Option<Uuid>, StoreError> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT e.id FROM entity_names n JOIN entities e ON e.id = n.entity_id \
         WHERE n.name_norm = $1 AND e.merged_into IS NULL AND ($2::text IS NULL OR e.kind = $2) \
         ORDER BY e.id LIMIT 20",
    )
    .bind(fold_name(name))
    .bind(kind.map(EntityKind::as_str))
    .fetch_all(&mut *conn)
    .await?;
    match ids.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(StoreError::Ambiguous {
            field: field.to_string(),
            name: name.to_string(),
            candidates: ids,
        }),
    }
}
