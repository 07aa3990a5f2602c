//! The store's public operations: each opens a transaction (writes) or takes
//! a pooled connection (reads), calls the table functions, and returns
//! records together with the entity summaries needed to display them.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::articles::ResolvedArticleFilter;
use super::claim_list::ResolvedClaimFilter;
use super::claims::RevisionEntry;
use super::events::{self, EventFilter, EventListener, PendingEvent, Settled, StoredEvent};
use super::{articles, claim_list, claims, entities, entity_cache, resolve, Store, StoreError};
use crate::domain::page::{Cursor, PageSize};
use crate::domain::{
    Article, ArticleFilter, ClaimFilter, ClaimPatch, ClaimRecord, Entity, EntityFilter,
    EntityPatch, EntityRef, EntitySummary, NewArticle, NewClaim, NewEntity, RevisionChange,
    SharedClaim,
};

/// The log entry for a claim version just written.
pub(super) fn pending(change: RevisionChange, r: &ClaimRecord) -> PendingEvent {
    PendingEvent {
        change,
        record: r.clone(),
        record_time: r.update_time,
    }
}

/// Entity summaries by id, for rendering records. A page looks up a
/// hundred or more ids in it, and the entity cache as many: both hash with
/// foldhash (seeded per process) rather than SipHash, which made the cache
/// look-up the server's largest function of its own on a history page
/// (5% of its CPU at 1M claims, `perf`). The summaries are shared with the
/// cache, not copied: copying their names for every page was 8% of the
/// server's CPU on a 1M speaker history (`perf`, session 9).
pub type Directory = HashMap<Uuid, Arc<EntitySummary>, foldhash::fast::RandomState>;

/// The result of an ingest.
#[derive(Debug)]
pub struct Ingested {
    /// The stored article (body included).
    pub article: Article,
    /// The stored claims, in request order.
    pub claims: Vec<ClaimRecord>,
    /// True when anything was written.
    pub created: bool,
    /// Summaries of every entity referenced.
    pub entities: Directory,
}

/// A page of results.
#[derive(Debug)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// Summaries of every entity the rows reference.
    pub entities: Directory,
}

/// A page of claims, and what a response needs to show the entities they
/// name.
#[derive(Debug)]
pub struct ClaimPage {
    /// The versions.
    pub items: Vec<SharedClaim>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
    /// For each item, whether it shows the summaries it keeps
    /// ([`SharedClaim::with_names`]): they held when the page was read.
    pub kept: Vec<bool>,
    /// Summaries of every entity the other items name; they keep them
    /// ([`SharedClaim::keep_names`]) with the stamp below.
    pub entities: Directory,
    /// The entity cache's generation `entities` was read at.
    pub generation: u64,
    /// When the oldest of `entities` expires.
    pub until: Instant,
}

/// Splits `limit + 1` fetched rows into a page and the next cursor.
pub(super) fn paginate<T>(mut rows: Vec<(T, Cursor)>, size: PageSize) -> (Vec<T>, Option<Cursor>) {
    let more = rows.len() > size.get();
    rows.truncate(size.get());
    let next = if more {
        rows.last().map(|(_, c)| c.clone())
    } else {
        None
    };
    (rows.into_iter().map(|(t, _)| t).collect(), next)
}

pub(super) async fn directory<'a>(
    conn: &mut PgConnection,
    records: impl Iterator<Item = &'a ClaimRecord>,
    extra: impl Iterator<Item = Uuid>,
) -> Result<Directory, StoreError> {
    let ids = records.flat_map(|r| r.entity_ids()).chain(extra);
    directory_of(conn, ids).await
}

/// The summaries of the entities `ids` names.
async fn directory_of(
    conn: &mut PgConnection,
    ids: impl Iterator<Item = Uuid>,
) -> Result<Directory, StoreError> {
    // Repeats are not sorted out first: the look-up skips them.
    let ids: Vec<Uuid> = ids.collect();
    entities::summaries(conn, &ids).await
}

async fn find_opt(
    conn: &mut PgConnection,
    field: &str,
    r: Option<&EntityRef>,
) -> Result<Option<Uuid>, StoreError> {
    match r {
        Some(r) => Ok(Some(resolve::find(conn, field, r).await?)),
        None => Ok(None),
    }
}

/// `Some(id)` for no reference (`None`) or a reference by id: what a
/// claim list can use before resolving; `None` when a name must be looked up.
fn optimistic_id(r: Option<&EntityRef>) -> Option<Option<Uuid>> {
    match r {
        None => Some(None),
        Some(EntityRef::Id(id)) => Some(Some(*id)),
        Some(_) => None,
    }
}

/// A claim filter with the given entity ids.
fn resolved_filter(
    filter: &ClaimFilter,
    speaker: Option<Uuid>,
    subject: Option<Uuid>,
    publisher: Option<Uuid>,
) -> ResolvedClaimFilter {
    ResolvedClaimFilter {
        speaker,
        subject,
        article_id: filter.article_id,
        publisher,
        said_after: filter.said_after,
        said_before: filter.said_before,
        kinds: filter.kinds.clone(),
        query: filter.query.clone(),
        include_retracted: filter.include_retracted,
        as_of: filter.as_of,
        order: filter.order,
        statement: filter.statement,
    }
}

/// [`Store::get_claim`] on a connection.
async fn get_claim_on(
    conn: &mut PgConnection,
    id: Uuid,
    as_of: Option<DateTime<Utc>>,
) -> Result<(SharedClaim, Directory), StoreError> {
    let rec = match as_of {
        None => claims::current(conn, id).await?,
        Some(t) => claims::as_of(conn, id, t).await?,
    };
    let rec = rec.ok_or_else(|| match as_of {
        None => StoreError::not_found("id", format!("no claim with id {id}")),
        Some(t) => StoreError::not_found("id", format!("no claim with id {id} existed at {t}")),
    })?;
    let dir = directory_of(conn, rec.refs().ids()).await?;
    Ok((rec, dir))
}

/// [`Store::list_claims`] on a connection.
async fn list_claims_on(
    conn: &mut PgConnection,
    filter: &ClaimFilter,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<ClaimPage, StoreError> {
    // References by id are tried as given: one round trip instead of
    // three for the common case. Only an empty page needs them checked
    // (an unknown id is NOT_FOUND; a merged one follows its survivor).
    let refs = [&filter.speaker, &filter.subject, &filter.publisher];
    if let [Some(speaker), Some(subject), Some(publisher)] = refs.map(|r| optimistic_id(r.as_ref()))
    {
        let mut resolved = resolved_filter(filter, speaker, subject, publisher);
        let rows = claim_list::list(conn, &resolved, size, after).await?;
        if !rows.is_empty() {
            return claims_page(conn, rows, size).await;
        }
        resolved.speaker = find_opt(conn, "speaker", filter.speaker.as_ref()).await?;
        resolved.subject = find_opt(conn, "subject", filter.subject.as_ref()).await?;
        resolved.publisher = find_opt(conn, "publisher", filter.publisher.as_ref()).await?;
        if (resolved.speaker, resolved.subject, resolved.publisher) == (speaker, subject, publisher)
        {
            return claims_page(conn, rows, size).await;
        }
        let rows = claim_list::list(conn, &resolved, size, after).await?;
        return claims_page(conn, rows, size).await;
    }
    let speaker = find_opt(conn, "speaker", filter.speaker.as_ref()).await?;
    let subject = find_opt(conn, "subject", filter.subject.as_ref()).await?;
    let publisher = find_opt(conn, "publisher", filter.publisher.as_ref()).await?;
    let resolved = resolved_filter(filter, speaker, subject, publisher);
    let rows = claim_list::list(conn, &resolved, size, after).await?;
    claims_page(conn, rows, size).await
}

/// A page of claims with the entities they name. A version whose kept
/// summaries still hold needs no look-up: on a history page read again that
/// is most of them, and the 150 look-ups of a page in the entity cache and
/// a page-wide directory were a sixth of the server's CPU (`perf`, 1M
/// speaker history, session 18).
async fn claims_page(
    conn: &mut PgConnection,
    rows: Vec<(SharedClaim, Cursor)>,
    size: PageSize,
) -> Result<ClaimPage, StoreError> {
    let (items, next) = paginate(rows, size);
    let (generation, now) = (entity_cache::generation(), Instant::now());
    let kept: Vec<bool> = items
        .iter()
        .map(|c| c.names_hold(generation, now))
        .collect();
    let ids: Vec<Uuid> = items
        .iter()
        .zip(&kept)
        .filter(|(_, kept)| !**kept)
        .flat_map(|(c, _)| c.refs().named())
        .collect();
    let stamped = if ids.is_empty() {
        entities::Stamped {
            dir: Directory::default(),
            generation,
            until: now,
        }
    } else {
        entities::stamped_summaries(conn, &ids).await?
    };
    Ok(ClaimPage {
        items,
        next,
        kept,
        entities: stamped.dir,
        generation: stamped.generation,
        until: stamped.until,
    })
}

/// [`Store::list_claim_revisions`] on a connection.
async fn list_claim_revisions_on(
    conn: &mut PgConnection,
    id: Uuid,
    size: PageSize,
    after: Option<&Cursor>,
) -> Result<Page<RevisionEntry>, StoreError> {
    let after_rev = after.and_then(|c| c.number).unwrap_or(0);
    let rows = claims::revisions(conn, id, after_rev, size.get() as i64 + 1).await?;
    let rows: Vec<(RevisionEntry, Cursor)> = rows
        .into_iter()
        .map(|r| {
            let c = Cursor::at_number(r.record.revision, id);
            (r, c)
        })
        .collect();
    let (items, next) = paginate(rows, size);
    let entities = directory(conn, items.iter().map(|r| &r.record), std::iter::empty()).await?;
    Ok(Page {
        items,
        next,
        entities,
    })
}

impl Store {
    /// Stores an article and its claims atomically.
    pub async fn ingest(
        &self,
        article: &NewArticle,
        claims: &[NewClaim],
        actor: &str,
    ) -> Result<Ingested, StoreError> {
        let mut tx = self.pool.begin().await?;
        let result = claims::ingest(&mut tx, article, claims, actor).await?;
        let entities = directory(
            &mut tx,
            result.claims.iter(),
            result.article.publisher_id.into_iter(),
        )
        .await?;
        let pending_events: Vec<PendingEvent> = result
            .claims
            .iter()
            .zip(&result.inserted)
            .filter(|(_, inserted)| **inserted)
            .map(|(r, _)| pending(RevisionChange::Created, r))
            .collect();
        let wake = events::append(&mut tx, &pending_events).await?;
        tx.commit().await?;
        wake.send(&self.pool);
        Ok(Ingested {
            article: result.article,
            claims: result.claims,
            created: result.created,
            entities,
        })
    }

    /// One claim, now or as of a record time (shared with other readers of
    /// the same version: see [`SharedClaim`]).
    pub async fn get_claim(
        &self,
        id: Uuid,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<(SharedClaim, Directory), StoreError> {
        let mut conn = self.reads.acquire().await?;
        let result = get_claim_on(&mut conn, id, as_of).await;
        conn.finish(result)
    }

    /// A page of claims matching a filter (versions shared with other
    /// readers: see [`SharedClaim`]).
    pub async fn list_claims(
        &self,
        filter: &ClaimFilter,
        size: PageSize,
        after: Option<&Cursor>,
    ) -> Result<ClaimPage, StoreError> {
        let mut conn = self.reads.acquire().await?;
        let result = list_claims_on(&mut conn, filter, size, after).await;
        conn.finish(result)
    }

    /// Corrects a claim.
    pub async fn update_claim(
        &self,
        id: Uuid,
        patch: &ClaimPatch,
        expected_revision: i64,
        reason: &str,
        actor: &str,
    ) -> Result<(ClaimRecord, Directory), StoreError> {
        let mut tx = self.pool.begin().await?;
        let rec = claims::update(&mut tx, id, patch, expected_revision, reason, actor).await?;
        let dir = directory(&mut tx, std::iter::once(&rec), std::iter::empty()).await?;
        let wake = events::append(&mut tx, &[pending(RevisionChange::Corrected, &rec)]).await?;
        tx.commit().await?;
        wake.send(&self.pool);
        Ok((rec, dir))
    }

    /// Retracts a claim.
    pub async fn retract_claim(
        &self,
        id: Uuid,
        expected_revision: i64,
        reason: &str,
        actor: &str,
    ) -> Result<(ClaimRecord, Directory), StoreError> {
        let mut tx = self.pool.begin().await?;
        let rec = claims::retract(&mut tx, id, expected_revision, reason, actor).await?;
        let dir = directory(&mut tx, std::iter::once(&rec), std::iter::empty()).await?;
        let wake = events::append(&mut tx, &[pending(RevisionChange::Retracted, &rec)]).await?;
        tx.commit().await?;
        wake.send(&self.pool);
        Ok((rec, dir))
    }

    /// A page of a claim's revisions, oldest first.
    pub async fn list_claim_revisions(
        &self,
        id: Uuid,
        size: PageSize,
        after: Option<&Cursor>,
    ) -> Result<Page<RevisionEntry>, StoreError> {
        let mut conn = self.reads.acquire().await?;
        let result = list_claim_revisions_on(&mut conn, id, size, after).await;
        conn.finish(result)
    }

    /// Creates an entity.
    pub async fn create_entity(&self, new: &NewEntity, actor: &str) -> Result<Entity, StoreError> {
        let mut tx = self.pool.begin().await?;
        let e = entities::insert(&mut tx, new, actor).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// One entity by id (a merged entity is returned as stored).
    pub async fn get_entity(&self, id: Uuid) -> Result<Entity, StoreError> {
        let mut conn = self.pool.acquire().await?;
        entities::get(&mut conn, id)
            .await?
            .ok_or_else(|| StoreError::not_found("id", format!("no entity with id {id}")))
    }

    /// A page of entities.
    pub async fn list_entities(
        &self,
        filter: &EntityFilter,
        size: PageSize,
        after: Option<&Cursor>,
    ) -> Result<Page<Entity>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows = entities::list(&mut conn, filter, size, after).await?;
        let (items, next) = paginate(rows, size);
        Ok(Page {
            items,
            next,
            entities: Directory::default(),
        })
    }

    /// Changes an entity.
    pub async fn update_entity(
        &self,
        id: Uuid,
        patch: &EntityPatch,
        expected_revision: i64,
        actor: &str,
    ) -> Result<Entity, StoreError> {
        let mut tx = self.pool.begin().await?;
        let e = entities::update(&mut tx, id, patch, expected_revision, actor).await?;
        entity_cache::announce(&mut tx, &[id]).await?;
        tx.commit().await?;
        entity_cache::forget(&[id]);
        Ok(e)
    }

    /// One article by id or normalized URL, with its publisher's summary.
    pub async fn get_article(
        &self,
        id: Option<Uuid>,
        url: Option<&str>,
    ) -> Result<(Article, Directory), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let article = match (id, url) {
            (Some(id), _) => articles::get(&mut conn, id).await?,
            (None, Some(url)) => articles::find_by_url(&mut conn, url).await?,
            (None, None) => None,
        }
        .ok_or_else(|| StoreError::not_found("id", "no such article"))?;
        let dir = entities::summaries(
            &mut conn,
            &article.publisher_id.into_iter().collect::<Vec<_>>(),
        )
        .await?;
        Ok((article, dir))
    }

    /// A page of articles, newest first.
    pub async fn list_articles(
        &self,
        filter: &ArticleFilter,
        size: PageSize,
        after: Option<&Cursor>,
    ) -> Result<Page<Article>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let resolved = ResolvedArticleFilter {
            publisher_id: find_opt(&mut conn, "publisher", filter.publisher.as_ref()).await?,
            published_after: filter.published_after,
            published_before: filter.published_before,
            include_body: filter.include_body,
        };
        let rows = articles::list(&mut conn, &resolved, size, after).await?;
        let (items, next) = paginate(rows, size);
        let mut ids: Vec<Uuid> = items.iter().filter_map(|a| a.publisher_id).collect();
        ids.sort();
        ids.dedup();
        let entities = entities::summaries(&mut conn, &ids).await?;
        Ok(Page {
            items,
            next,
            entities,
        })
    }

    /// Events after position `after` matching `filter`, oldest first, as
    /// far as the log is settled (see [`events`]); the [`Settled`] says how
    /// far that is, and whether a hole stopped the read.
    pub async fn read_events(
        &self,
        after: i64,
        filter: &EventFilter,
        limit: i64,
    ) -> Result<(Vec<StoredEvent>, Settled, Directory), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let base = after.max(self.events_settled.load(Ordering::Acquire));
        let settled = events::settled(&mut conn, base).await?;
        let evs = events::read(&mut conn, after, settled.upto, filter, limit).await?;
        let dir = directory(&mut conn, evs.iter().map(|e| &e.record), std::iter::empty()).await?;
        Ok((evs, settled, dir))
    }

    /// Waits for the appenders committing now (an instant), so every hole in
    /// the log so far is known to be for good. `false` if they held on past
    /// the timeout.
    pub async fn settle_events(&self) -> Result<bool, StoreError> {
        Ok(self.settle_log().await?.is_some())
    }

    /// The position after which a watcher starting now sees every event
    /// that commits from now on: settling the log puts every position handed
    /// out so far behind it, and every later append after it.
    pub async fn event_head(&self) -> Result<i64, StoreError> {
        self.settle_log().await?.ok_or_else(|| {
            StoreError::Unavailable(sqlx::Error::Protocol(
                "the event log's writers held their lock too long; try again".into(),
            ))
        })
    }

    /// Settles the log (see [`events::settle`]) and remembers how far.
    async fn settle_log(&self) -> Result<Option<i64>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let top = events::settle(&mut conn).await?;
        if let Some(top) = top {
            self.events_settled.fetch_max(top, Ordering::AcqRel);
        }
        Ok(top)
    }

    /// A listener woken by every committed event.
    pub async fn listen_events(&self) -> Result<EventListener, StoreError> {
        EventListener::connect(&self.pool).await
    }

    /// Resolves an entity reference without creating anything.
    pub async fn find_entity(&self, field: &str, r: &EntityRef) -> Result<Uuid, StoreError> {
        let mut conn = self.pool.acquire().await?;
        resolve::find(&mut conn, field, r).await
    }
}
