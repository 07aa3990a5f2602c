//! Set-based ingest: many articles and their claims in a fixed number of
//! statements, whatever their size.
//!
//! `IngestArticle` is this with one item and `ImportArticles` with a batch.
//! Every check that can fail one item (an article stored with a different
//! body, spans past the end of it, an ambiguous or unknown entity) runs
//! before anything is written, so a failed item writes nothing while the
//! rest of its batch is stored; then each table gets one multi-row insert for
//! the whole batch: entities, articles, statements, claims, speaker and
//! subject links, revisions, statement members and decisions. A batch of 64
//! articles and 320 claims costs about twenty round trips instead of twenty
//! per claim.
//!
//! Locks, in the one order every writer uses: the statement lock shared
//! (merges take it exclusively, so no entity is merged away between being
//! looked up and being linked), the advisory locks of every URL (sorted),
//! then those of the names and external ids that found nothing and so may
//! create an entity (sorted, looked up again once locked), then the
//! matching locks (see `statement_assign`). Concurrent batches naming the
//! same new entity or URL therefore serialize on it and find each other's
//! rows instead of duplicating them, while batches that only name stored
//! entities (the common case: every article of a big outlet names it) do
//! not wait for each other at all.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::claims::{self, IngestResult};
use super::resolve::{self, Lookup};
use super::{articles, entities, statement_assign, StoreError};
use crate::domain::text::fold_name;
use crate::domain::{
    Article, ClaimRecord, ClaimState, EntityKind, EntityRef, NewArticle, NewClaim, NewEntity,
    RevisionChange, SubjectLink,
};

/// One article and its claims.
pub(super) type Item<'a> = (&'a NewArticle, &'a [NewClaim]);

/// What a batch does about an entity another transaction is creating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnBusy {
    /// Wait for that transaction to end (then find its entity).
    Wait,
    /// Leave out the items that name it, for a later transaction: the
    /// batch writes the rest at once instead of waiting for the creator to
    /// commit (import streams naming the same new people queued on each
    /// other for most of their time: 186 of 590 samples of a 100k import).
    Defer,
}

/// Batches of at most this many articles run on generic plans (`SET LOCAL
/// plan_cache_mode = force_generic_plan`). Left to choose, PostgreSQL
/// re-planned the ingest statements on every call, because a generic plan's
/// estimate never beat the custom ones: 0.9 ms of PostgreSQL's CPU per
/// IngestArticle of 5 claims went to planning (`pg_stat_statements`, 100k
/// claims). Forcing generic plans took one-by-one ingest from 4,756–5,474
/// to 6,583–7,190 articles in 20 s, with the same execution time per
/// statement. Large import batches keep custom plans: their arrays are long
/// and planning is shared by hundreds of claims.
const GENERIC_PLAN_MAX_ITEMS: usize = 8;

/// Ingests every item; the outer error is a database failure (roll back and
/// retry item by item), the inner ones are the items' own. `None` for an
/// item left out under [`OnBusy::Defer`].
pub(super) async fn ingest_many(
    conn: &mut PgConnection,
    items: &[Item<'_>],
    actor: &str,
    on_busy: OnBusy,
) -> Result<Vec<Option<Result<IngestResult, StoreError>>>, StoreError> {
    let mut urls: Vec<String> = items.iter().map(|(a, _)| claims::url_lock_key(a)).collect();
    urls.sort();
    urls.dedup();
    // The locks, the plan mode and the transaction's timestamp in one round
    // trip.
    let (_, _, _, ts): (i64, i64, Option<String>, DateTime<Utc>) = sqlx::query_as(
        "SELECT (SELECT count(pg_advisory_xact_lock_shared(hashtextextended($1, 0)))), \
           (SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($2::text[]) AS k), \
           CASE WHEN $3 THEN set_config('plan_cache_mode', 'force_generic_plan', true) END, \
           now()",
    )
    .bind(super::statements::LOCK_NAME)
    .bind(&urls)
    .bind(items.len() <= GENERIC_PLAN_MAX_ITEMS)
    .fetch_one(&mut *conn)
    .await?;

    let mut failed: Vec<Option<StoreError>> = items.iter().map(|_| None).collect();
    let urls: Vec<&str> = items.iter().map(|(a, _)| a.url.as_str()).collect();
    let stored = articles::find_by_urls(conn, &urls).await?;
    for (i, (article, item_claims)) in items.iter().enumerate() {
        if let Err(e) = check_item(stored.get(&article.url), article, item_claims) {
            failed[i] = Some(e);
        }
    }

    let (ids, deferred) =
        resolve_entities(conn, items, &stored, &mut failed, actor, ts, on_busy).await?;
    let articles = store_articles(conn, items, &stored, &failed, &ids, ts).await?;
    let mut built = build_claims(items, &failed, &articles, &ids, actor, ts);
    // Only a stored article can already hold the claims.
    let found = if stored.is_empty() {
        HashMap::new()
    } else {
        find_stored_claims(conn, &built).await?
    };
    let mut new_recs: Vec<ClaimRecord> = Vec::new();
    for b in built.iter_mut() {
        for c in b.claims.iter_mut() {
            if let Slot::New(rec) = c {
                // A fingerprint is a hash of a JSON document: only worth
                // computing when a stored article may already hold the claim.
                let stored_id = if found.is_empty() {
                    None
                } else {
                    found.get(&(rec.article_id, rec.fingerprint()))
                };
                if let Some(id) = stored_id {
                    *c = Slot::Stored(*id);
                } else {
                    new_recs.push((**rec).clone());
                }
            }
        }
    }
    let plan = statement_assign::propose(conn, &mut new_recs, ts).await?;
    insert_claims(conn, &new_recs, actor, ts).await?;
    statement_assign::record(conn, &new_recs, &plan, actor, ts).await?;
    let plan = statement_assign::settle(conn, &mut new_recs, plan, actor, ts).await?;
    statement_assign::refresh(conn, &plan, ts).await?;
    let stored_ids: Vec<Uuid> = found.values().copied().collect();
    let current = claims::current_many(conn, &stored_ids).await?;
    let results = assemble(items.len(), failed, built, new_recs, current, articles);
    Ok(results
        .into_iter()
        .zip(deferred)
        .map(|(r, d)| (!d).then_some(r))
        .collect())
}

/// The per-item checks that need the stored article: the same body under
/// the same URL, and spans inside it.
fn check_item(
    existing: Option<&Article>,
    article: &NewArticle,
    item_claims: &[NewClaim],
) -> Result<(), StoreError> {
    claims::check_article_matches(existing, article)?;
    let body = match existing {
        Some(a) if article.body.is_empty() => a.body.as_str(),
        _ => article.body.as_str(),
    };
    claims::check_claim_spans(item_claims, body)
}

/// Every entity reference of an item, with the field that names it, in the
/// order single ingests resolve them (so errors name the same field).
fn item_refs<'a>(
    article: &'a NewArticle,
    item_claims: &'a [NewClaim],
    with_publisher: bool,
) -> Vec<(String, &'a EntityRef)> {
    let mut refs = Vec::new();
    if with_publisher {
        if let Some(p) = &article.publisher {
            refs.push(("article.publisher".to_string(), p));
        }
    }
    for (i, c) in item_claims.iter().enumerate() {
        for (j, s) in c.speakers.iter().enumerate() {
            refs.push((format!("claims[{i}].speakers[{j}]"), s));
        }
        for (j, s) in c.subjects.iter().enumerate() {
            refs.push((format!("claims[{i}].subjects[{j}].entity"), &s.entity));
        }
        if let Some(r) = &c.recipient {
            refs.push((format!("claims[{i}].recipient"), r));
        }
        if let Some(r) = &c.via {
            refs.push((format!("claims[{i}].via"), r));
        }
    }
    refs
}

/// Where a reference points: a stored entity or one this batch creates.
#[derive(Debug, Clone, Copy)]
enum Target {
    Stored(Uuid),
    Planned(usize),
}

/// Entities the batch will create, and how later references find them (the
/// way a name look-up would find them once inserted).
#[derive(Default)]
struct Plan {
    new: Vec<NewEntity>,
    owner: Vec<usize>,
    by_name: HashMap<String, Vec<usize>>,
    by_external: HashMap<String, usize>,
}

impl Plan {
    /// Forgets what item `i` planned (it failed): later items must not find
    /// entities that will not exist.
    fn drop_item(&mut self, i: usize) {
        let gone: HashSet<usize> = (0..self.new.len())
            .filter(|k| self.owner[*k] == i)
            .collect();
        for v in self.by_name.values_mut() {
            v.retain(|k| !gone.contains(k));
        }
        self.by_external.retain(|_, k| !gone.contains(k));
    }
}

/// Resolves every reference of the surviving items, plans the entities to
/// create (failing items whose references are ambiguous or unknown), creates
/// them, and returns the id of every reference, and which items are left
/// out because another transaction is creating an entity they name (only
/// under [`OnBusy::Defer`]; those are marked failed too, so nothing of
/// them is written).
async fn resolve_entities(
    conn: &mut PgConnection,
    items: &[Item<'_>],
    stored: &HashMap<String, Article>,
    failed: &mut [Option<StoreError>],
    actor: &str,
    ts: DateTime<Utc>,
    on_busy: OnBusy,
) -> Result<(HashMap<EntityRef, Uuid>, Vec<bool>), StoreError> {
    let per_item: Vec<Vec<(String, &EntityRef)>> = items
        .iter()
        .map(|(a, c)| item_refs(a, c, !stored.contains_key(&a.url)))
        .collect();
    let all: Vec<&EntityRef> = per_item
        .iter()
        .zip(failed.iter())
        .filter(|(_, f)| f.is_none())
        .flat_map(|(r, _)| r.iter().map(|(_, r)| *r))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (found, busy) = lookup_locking_missing(conn, &all, on_busy).await?;
    let mut deferred = vec![false; items.len()];
    for (i, refs) in per_item.iter().enumerate() {
        if failed[i].is_none() && refs.iter().any(|(_, r)| busy.contains(*r)) {
            deferred[i] = true;
            failed[i] = Some(StoreError::Corrupt("deferred".into()));
        }
    }
    let mut plan = Plan::default();
    let mut targets: HashMap<EntityRef, Target> = HashMap::new();
    for (i, refs) in per_item.iter().enumerate() {
        if failed[i].is_some() {
            continue;
        }
        let mut mine: Vec<EntityRef> = Vec::new();
        for (field, r) in refs {
            if targets.contains_key(*r) {
                continue;
            }
            match target(&found, &mut plan, i, field, r) {
                Ok(t) => {
                    targets.insert((*r).clone(), t);
                    mine.push((*r).clone());
                }
                Err(e) => {
                    failed[i] = Some(e);
                    plan.drop_item(i);
                    for r in &mine {
                        if matches!(targets.get(r), Some(Target::Planned(_))) {
                            targets.remove(r);
                        }
                    }
                    break;
                }
            }
        }
    }
    let keep: Vec<usize> = (0..plan.new.len())
        .filter(|k| failed[plan.owner[*k]].is_none())
        .collect();
    let to_create: Vec<NewEntity> = keep.iter().map(|k| plan.new[*k].clone()).collect();
    let created = entities::insert_many(conn, &to_create, actor, ts).await?;
    let planned_ids: HashMap<usize, Uuid> = keep.into_iter().zip(created).collect();
    let ids = targets
        .into_iter()
        .filter_map(|(r, t)| match t {
            Target::Stored(id) => Some((r, id)),
            Target::Planned(k) => planned_ids.get(&k).map(|id| (r, *id)),
        })
        .collect();
    Ok((ids, deferred))
}

/// Looks every reference up; those that found nothing and may create an
/// entity are locked (sorted, one statement) and looked up again, so a
/// concurrent batch that created one in between is seen. Under
/// [`OnBusy::Defer`] a lock another transaction holds is not waited for:
/// its references come back as busy instead.
async fn lookup_locking_missing(
    conn: &mut PgConnection,
    refs: &[&EntityRef],
    on_busy: OnBusy,
) -> Result<(HashMap<EntityRef, Lookup>, HashSet<EntityRef>), StoreError> {
    let mut found = resolve::lookup_many(conn, refs).await?;
    let missing: Vec<&EntityRef> = refs
        .iter()
        .copied()
        .filter(|r| matches!(found.get(*r), None | Some(Lookup::Missing)))
        .filter(|r| resolve::lock_key(r).is_some())
        .collect();
    if missing.is_empty() {
        return Ok((found, HashSet::new()));
    }
    let (busy, locked): (Vec<&EntityRef>, Vec<&EntityRef>) = match on_busy {
        OnBusy::Wait => {
            resolve::lock_refs(conn, missing.iter().copied()).await?;
            (Vec::new(), missing)
        }
        OnBusy::Defer => {
            let taken = resolve::try_lock_refs(conn, missing.iter().copied()).await?;
            missing
                .into_iter()
                .partition(|r| resolve::lock_key(r).is_some_and(|k| taken.contains(&k)))
        }
    };
    found.extend(resolve::lookup_many(conn, &locked).await?);
    Ok((found, busy.into_iter().cloned().collect()))
}

/// Resolves one reference against what is stored and what the batch plans,
/// planning a new entity when a name (or a named external id) finds nothing.
fn target(
    found: &HashMap<EntityRef, Lookup>,
    plan: &mut Plan,
    item: usize,
    field: &str,
    r: &EntityRef,
) -> Result<Target, StoreError> {
    match found.get(r).cloned().unwrap_or(Lookup::Missing) {
        Lookup::Found(id) => return Ok(Target::Stored(id)),
        Lookup::Ambiguous(candidates) => {
            return Err(ambiguous(field, r, candidates));
        }
        Lookup::Missing => {}
    }
    let (name, kind, external) = match r {
        EntityRef::Id(id) => {
            return Err(StoreError::not_found(
                format!("{field}.id"),
                format!("no entity with id {id}"),
            ))
        }
        EntityRef::External {
            external_id,
            name: None,
            ..
        } => match plan.by_external.get(external_id) {
            Some(k) => return Ok(Target::Planned(*k)),
            None => {
                return Err(StoreError::not_found(
                    format!("{field}.external_id"),
                    format!(
                        "no entity has external id {external_id}; give a name too to create it"
                    ),
                ))
            }
        },
        EntityRef::External {
            external_id,
            name: Some(name),
            kind,
        } => {
            if let Some(k) = plan.by_external.get(external_id) {
                return Ok(Target::Planned(*k));
            }
            (name, *kind, Some(external_id.clone()))
        }
        EntityRef::Name { name, kind } => {
            let same: Vec<usize> = plan
                .by_name
                .get(&fold_name(name))
                .into_iter()
                .flatten()
                .copied()
                .filter(|k| kind.is_none_or(|want| plan.new[*k].kind == want))
                .collect();
            match same.as_slice() {
                [] => (name, *kind, None),
                [one] => return Ok(Target::Planned(*one)),
                _ => return Err(ambiguous(field, r, Vec::new())),
            }
        }
    };
    let k = plan.new.len();
    plan.new.push(NewEntity {
        kind: kind.unwrap_or(EntityKind::Other),
        name: name.clone(),
        aliases: Vec::new(),
        external_ids: external.iter().cloned().collect(),
        description: String::new(),
    });
    plan.owner.push(item);
    plan.by_name.entry(fold_name(name)).or_default().push(k);
    if let Some(x) = external {
        plan.by_external.insert(x, k);
    }
    Ok(Target::Planned(k))
}

fn ambiguous(field: &str, r: &EntityRef, candidates: Vec<Uuid>) -> StoreError {
    let name = match r {
        EntityRef::Name { name, .. } => name.clone(),
        EntityRef::External { external_id, .. } => external_id.clone(),
        EntityRef::Id(id) => id.to_string(),
    };
    StoreError::Ambiguous {
        field: field.to_string(),
        name,
        candidates,
    }
}

/// The article of every surviving item: stored ones as found, new ones
/// inserted in one statement.
async fn store_articles(
    conn: &mut PgConnection,
    items: &[Item<'_>],
    stored: &HashMap<String, Article>,
    failed: &[Option<StoreError>],
    ids: &HashMap<EntityRef, Uuid>,
    ts: DateTime<Utc>,
) -> Result<Vec<Option<(Article, bool)>>, StoreError> {
    let mut new: Vec<(&NewArticle, Option<Uuid>)> = Vec::new();
    for (i, (a, _)) in items.iter().enumerate() {
        if failed[i].is_none() && !stored.contains_key(&a.url) {
            new.push((a, a.publisher.as_ref().and_then(|p| ids.get(p).copied())));
        }
    }
    let mut inserted = articles::insert_many(conn, &new, ts).await?.into_iter();
    Ok(items
        .iter()
        .enumerate()
        .map(|(i, (a, _))| {
            if failed[i].is_some() {
                return None;
            }
            match stored.get(&a.url) {
                Some(s) => Some((s.clone(), false)),
                None => inserted.next().map(|n| (n, true)),
            }
        })
        .collect())
}

/// One claim of a request: a record to insert, or the id of the stored
/// claim it turned out to be.
enum Slot {
    New(Box<ClaimRecord>),
    Stored(Uuid),
    /// The same claim as an earlier one of the same request.
    Repeat(usize),
}

/// The claims of one surviving item.
struct Built {
    item: usize,
    claims: Vec<Slot>,
}

/// Builds the record of every claim of the surviving items (no database
/// work: every reference is resolved by now).
fn build_claims(
    items: &[Item<'_>],
    failed: &[Option<StoreError>],
    articles: &[Option<(Article, bool)>],
    ids: &HashMap<EntityRef, Uuid>,
    actor: &str,
    ts: DateTime<Utc>,
) -> Vec<Built> {
    let mut out = Vec::new();
    for (i, (_, item_claims)) in items.iter().enumerate() {
        let (Some((article, _)), None) = (&articles[i], &failed[i]) else {
            continue;
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut slots = Vec::with_capacity(item_claims.len());
        for (j, c) in item_claims.iter().enumerate() {
            let rec = record(c, article, ids, actor, ts);
            match seen.entry(rec.fingerprint()) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    slots.push(Slot::Repeat(*first.get()))
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(j);
                    slots.push(Slot::New(Box::new(rec)));
                }
            }
        }
        out.push(Built {
            item: i,
            claims: slots,
        });
    }
    out
}

fn record(
    c: &NewClaim,
    article: &Article,
    ids: &HashMap<EntityRef, Uuid>,
    actor: &str,
    ts: DateTime<Utc>,
) -> ClaimRecord {
    let id_of = |r: &EntityRef| ids.get(r).copied();
    let mut speaker_ids: Vec<Uuid> = Vec::with_capacity(c.speakers.len());
    for id in c.speakers.iter().filter_map(id_of) {
        if !speaker_ids.contains(&id) {
            speaker_ids.push(id);
        }
    }
    let mut subjects: Vec<SubjectLink> = Vec::with_capacity(c.subjects.len());
    for s in &c.subjects {
        if let Some(entity_id) = id_of(&s.entity) {
            if !subjects.iter().any(|x| x.entity_id == entity_id) {
                subjects.push(SubjectLink {
                    entity_id,
                    role: s.role.clone(),
                });
            }
        }
    }
    let mut provenance = c.provenance.clone();
    if provenance.extractor.is_empty() && provenance.human.is_empty() {
        provenance.human = actor.to_string();
    }
    ClaimRecord {
        id: Uuid::now_v7(),
        article_id: article.id,
        publisher_id: article.publisher_id,
        published_time: article.published_time,
        speaker_ids,
        speaker_role: c.speaker_role.clone(),
        kind: c.kind,
        text: c.text.clone(),
        spans: c.spans.clone(),
        cue: c.cue.clone(),
        venue: c.venue.clone(),
        recipient_id: c.recipient.as_ref().and_then(id_of),
        via_id: c.via.as_ref().and_then(id_of),
        via_text: c.via_text.clone(),
        said: c.said.clone(),
        subjects,
        confidence: c.confidence,
        provenance,
        state: ClaimState::Active,
        revision: 1,
        create_time: ts,
        update_time: ts,
        statement_id: None,
    }
}

/// Claims already stored under the articles and fingerprints of the new
/// records (a re-ingest), by (article, fingerprint).
async fn find_stored_claims(
    conn: &mut PgConnection,
    built: &[Built],
) -> Result<HashMap<(Uuid, String), Uuid>, StoreError> {
    let (mut articles, mut prints) = (Vec::new(), Vec::new());
    for c in built.iter().flat_map(|b| &b.claims) {
        if let Slot::New(rec) = c {
            articles.push(rec.article_id);
            prints.push(rec.fingerprint());
        }
    }
    if articles.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, Uuid)> = sqlx::query_as(
        "SELECT c.article_id, c.fingerprint, c.id FROM unnest($1::uuid[], $2::text[]) AS t(a, f) \
         JOIN claims c ON c.article_id = t.a AND c.fingerprint = t.f",
    )
    .bind(&articles)
    .bind(&prints)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(a, f, id)| ((a, f), id)).collect())
}

/// Inserts new claims with their links and first revisions: four
/// statements for the whole batch.
async fn insert_claims(
    conn: &mut PgConnection,
    recs: &[ClaimRecord],
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<(), StoreError> {
    if recs.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = recs.iter().map(|r| r.id).collect();
    let sort: Vec<DateTime<Utc>> = recs.iter().map(ClaimRecord::sort_time).collect();
    let kinds: Vec<&str> = recs.iter().map(|r| r.kind.as_str()).collect();
    let texts: Vec<&str> = recs.iter().map(|r| r.text.as_str()).collect();
    let articles: Vec<Uuid> = recs.iter().map(|r| r.article_id).collect();
    let publishers: Vec<Option<Uuid>> = recs.iter().map(|r| r.publisher_id).collect();
    sqlx::query(
        "INSERT INTO claims (id, article_id, publisher_id, fingerprint, kind, text, state, revision, \
         said_time, sort_time, create_time, update_time, statement_id) \
         SELECT i, a, p, f, k, t, 'active', 1, st, so, $10, $10, s FROM unnest($1::uuid[], $2::uuid[], \
           $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], \
           $9::uuid[]) AS x(i, a, p, f, k, t, st, so, s)",
    )
    .bind(&ids)
    .bind(&articles)
    .bind(&publishers)
    .bind(recs.iter().map(ClaimRecord::fingerprint).collect::<Vec<_>>())
    .bind(&kinds)
    .bind(&texts)
    .bind(recs.iter().map(|r| r.said.time).collect::<Vec<_>>())
    .bind(&sort)
    .bind(recs.iter().map(|r| r.statement_id).collect::<Vec<_>>())
    .bind(ts)
    .execute(&mut *conn)
    .await?;
    let digests = insert_revisions(conn, recs, actor, ts).await?;
    insert_links(conn, recs, &digests).await
}

/// The speaker and subject rows of claims, carrying their sort time and
/// their current version's revision, state and snapshot digest (`digests`,
/// parallel to `recs`; migration 0036): a batch's new claims, or one
/// claim's new version (`claims::write_links`).
pub(super) async fn insert_links(
    conn: &mut PgConnection,
    recs: &[ClaimRecord],
    digests: &[Uuid],
) -> Result<(), StoreError> {
    let mut sp = LinkColumns::default();
    let mut su = LinkColumns::default();
    let mut roles = vec![];
    for (r, digest) in recs.iter().zip(digests) {
        for (k, id) in r.speaker_ids.iter().enumerate() {
            sp.push(r, k, *id, *digest);
        }
        for (k, s) in r.subjects.iter().enumerate() {
            su.push(r, k, s.entity_id, *digest);
            roles.push(s.role.as_str());
        }
    }
    sqlx::query(
        "INSERT INTO claim_speakers (claim_id, position, entity_id, sort_time, revision, state, \
         snapshot_digest) \
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::timestamptz[], $5::bigint[], \
           $6::text[], $7::uuid[])",
    )
    .bind(&sp.claim)
    .bind(&sp.position)
    .bind(&sp.entity)
    .bind(&sp.sort)
    .bind(&sp.revision)
    .bind(&sp.state)
    .bind(&sp.digest)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO claim_subjects (claim_id, position, entity_id, sort_time, revision, state, \
         snapshot_digest, role) \
         SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::timestamptz[], $5::bigint[], \
           $6::text[], $7::uuid[], $8::text[])",
    )
    .bind(&su.claim)
    .bind(&su.position)
    .bind(&su.entity)
    .bind(&su.sort)
    .bind(&su.revision)
    .bind(&su.state)
    .bind(&su.digest)
    .bind(&roles)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The columns every link row has, one array per column (for `unnest`).
#[derive(Default)]
struct LinkColumns {
    claim: Vec<Uuid>,
    position: Vec<i32>,
    entity: Vec<Uuid>,
    sort: Vec<DateTime<Utc>>,
    revision: Vec<i64>,
    state: Vec<&'static str>,
    digest: Vec<Uuid>,
}

impl LinkColumns {
    /// Adds the link of `rec` at 0-based `index` to `entity`.
    fn push(&mut self, rec: &ClaimRecord, index: usize, entity: Uuid, digest: Uuid) {
        self.claim.push(rec.id);
        self.position.push(index as i32 + 1);
        self.entity.push(entity);
        self.sort.push(rec.sort_time());
        self.revision.push(rec.revision);
        self.state.push(rec.state.as_str());
        self.digest.push(digest);
    }
}

/// The first revision of every new claim, with its full record; returns
/// their snapshot digests, parallel to `recs` (computed by PostgreSQL, see
/// migration 0033).
async fn insert_revisions(
    conn: &mut PgConnection,
    recs: &[ClaimRecord],
    actor: &str,
    ts: DateTime<Utc>,
) -> Result<Vec<Uuid>, StoreError> {
    if recs.is_empty() {
        return Ok(Vec::new());
    }
    let snapshots: Vec<Json<&ClaimRecord>> = recs.iter().map(Json).collect();
    let speakers: Vec<String> = recs
        .iter()
        .map(|r| statement_assign::uuid_array(&r.speaker_ids))
        .collect();
    let subjects: Vec<String> = recs
        .iter()
        .map(|r| {
            let ids: Vec<Uuid> = r.subjects.iter().map(|s| s.entity_id).collect();
            statement_assign::uuid_array(&ids)
        })
        .collect();
    let returned: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "INSERT INTO claim_revisions (claim_id, revision, change, snapshot, reason, actor, record_time, \
         article_id, publisher_id, kind, state, sort_time, create_time, speaker_ids, subject_ids, text) \
         SELECT i, 1, $1, s, '', $2, $3, a, p, k, 'active', so, $3, sp::uuid[], su::uuid[], t \
         FROM unnest($4::uuid[], $5::json[], $6::uuid[], $7::uuid[], $8::text[], $9::timestamptz[], \
           $10::text[], $11::text[], $12::text[]) AS x(i, s, a, p, k, so, sp, su, t) \
         RETURNING claim_id, snapshot_digest",
    )
    .bind(RevisionChange::Created.as_str())
    .bind(actor)
    .bind(ts)
    .bind(recs.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(&snapshots)
    .bind(recs.iter().map(|r| r.article_id).collect::<Vec<_>>())
    .bind(recs.iter().map(|r| r.publisher_id).collect::<Vec<_>>())
    .bind(recs.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>())
    .bind(recs.iter().map(ClaimRecord::sort_time).collect::<Vec<_>>())
    .bind(&speakers)
    .bind(&subjects)
    .bind(recs.iter().map(|r| r.text.as_str()).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    // RETURNING gives no order: match the digests to `recs` by claim id.
    let by_claim: HashMap<Uuid, Uuid> = returned.into_iter().collect();
    recs.iter()
        .map(|r| {
            by_claim.get(&r.id).copied().ok_or_else(|| {
                StoreError::Corrupt(format!("claim {}: no digest for its first revision", r.id))
            })
        })
        .collect()
}

/// Puts the per-item results together in request order.
fn assemble(
    n: usize,
    mut failed: Vec<Option<StoreError>>,
    built: Vec<Built>,
    new_recs: Vec<ClaimRecord>,
    current: HashMap<Uuid, ClaimRecord>,
    mut articles: Vec<Option<(Article, bool)>>,
) -> Vec<Result<IngestResult, StoreError>> {
    let mut fresh = new_recs.into_iter();
    let mut results: Vec<Option<IngestResult>> = (0..n).map(|_| None).collect();
    for b in built {
        let Some((article, article_created)) = articles[b.item].take() else {
            continue;
        };
        let mut recs: Vec<ClaimRecord> = Vec::with_capacity(b.claims.len());
        let mut inserted = Vec::with_capacity(b.claims.len());
        for slot in &b.claims {
            let (rec, new) = match slot {
                Slot::New(_) => (fresh.next(), true),
                Slot::Stored(id) => (current.get(id).cloned(), false),
                Slot::Repeat(j) => (recs.get(*j).cloned(), false),
            };
            if let Some(rec) = rec {
                recs.push(rec);
                inserted.push(new);
            }
        }
        let created = article_created || inserted.iter().any(|i| *i);
        results[b.item] = Some(IngestResult {
            article,
            claims: recs,
            inserted,
            created,
        });
    }
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| match (r, failed[i].take()) {
            (_, Some(e)) => Err(e),
            (Some(r), None) => Ok(r),
            (None, None) => Err(StoreError::Corrupt("ingest produced no result".into())),
        })
        .collect()
}
