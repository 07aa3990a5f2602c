//! The store's statement, review and merge operations (the facade's second
//! `impl Store` block): each opens a transaction (writes) or takes a pooled
//! connection (reads) and returns records with the entity summaries needed
//! to display them.

use sqlx::PgConnection;
use uuid::Uuid;

use super::facade::{directory, paginate, pending};
use super::merge::{self, Change};
use super::statements::{self, ResolvedStatementFilter};
use super::{
    claims, entities, entity_cache, events, resolve, reviews, Directory, Page, Store, StoreError,
};
use crate::domain::page::{Cursor, PageSize};
use crate::domain::statement::{ImportedStatement, NewReview, Review, Statement, StatementFilter};
use crate::domain::{ClaimRecord, Entity, EntityRef, RevisionChange};

/// A statement with its reviews, as `GetStatement` shows it.
#[derive(Debug)]
pub struct StatementView {
    /// The statement (the survivor, when the id asked for was merged).
    pub statement: Statement,
    /// The id asked for, when it was merged into `statement`.
    pub resolved_from: Option<Uuid>,
    /// Its reviews, oldest first.
    pub reviews: Vec<Review>,
    /// Summaries of every entity referenced.
    pub entities: Directory,
}

/// A statement with everything a ClaimReview export needs.
#[derive(Debug)]
pub struct ExportedStatement {
    /// The statement.
    pub statement: Statement,
    /// Its claims in publication order, each with its article's URL.
    pub appearances: Vec<(ClaimRecord, String)>,
    /// Its reviews.
    pub reviews: Vec<Review>,
}

/// What an import stored.
#[derive(Debug, Default)]
pub struct ImportOutcome {
    /// The statement of each imported item, in order.
    pub statement_ids: Vec<Uuid>,
    /// Claims newly stored.
    pub claims_created: usize,
    /// Reviews newly stored.
    pub reviews_created: usize,
}

/// Entity ids a statement shows: speakers, first publisher, outlets.
fn statement_entity_ids(s: &Statement) -> impl Iterator<Item = Uuid> + '_ {
    s.speaker_ids
        .iter()
        .copied()
        .chain(s.first_publisher_id)
        .chain(s.outlet_ids.iter().copied())
}

async fn summaries(conn: &mut PgConnection, ids: Vec<Uuid>) -> Result<Directory, StoreError> {
    let mut ids = ids;
    ids.sort();
    ids.dedup();
    entities::summaries(conn, &ids).await
}

/// The events of the claim versions a request wrote (for `WatchClaims`).
async fn log_changes(
    conn: &mut PgConnection,
    change: RevisionChange,
    recs: &[ClaimRecord],
) -> Result<events::Wake, StoreError> {
    let list: Vec<_> = recs.iter().map(|r| pending(change, r)).collect();
    events::append(conn, &list).await
}

impl Store {
    /// One statement (following merges) with its reviews.
    pub async fn get_statement(&self, id: Uuid) -> Result<StatementView, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (statement, resolved_from) = statements::resolve(&mut conn, "id", id).await?;
        let reviews = reviews::list(&mut conn, statement.id, None, 1000).await?;
        let ids = statement_entity_ids(&statement)
            .chain(reviews.iter().map(|r| r.reviewer_id))
            .collect();
        let entities = summaries(&mut conn, ids).await?;
        Ok(StatementView {
            statement,
            resolved_from,
            reviews,
            entities,
        })
    }

    /// A page of statements matching a filter.
    pub async fn list_statements(
        &self,
        filter: &StatementFilter,
        size: PageSize,
        after: Option<&Cursor>,
    ) -> Result<Page<Statement>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let resolved = ResolvedStatementFilter {
            speaker: find_opt(&mut conn, "speaker", filter.speaker.as_ref()).await?,
            subject: find_opt(&mut conn, "subject", filter.subject.as_ref()).await?,
            after: filter.after,
            before: filter.before,
            query: filter.query.clone(),
            order: filter.order,
        };
        let rows = statements::list(&mut conn, &resolved, size, after).await?;
        let (items, next) = paginate(rows, size);
        let ids = items.iter().flat_map(statement_entity_ids).collect();
        let entities = summaries(&mut conn, ids).await?;
        Ok(Page {
            items,
            next,
            entities,
        })
    }

    /// A page of a statement's claims in publication order.
    pub async fn list_appearances(
        &self,
        id: Uuid,
        size: PageSize,
        after: Option<&Cursor>,
    ) -> Result<Page<ClaimRecord>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (statement, _) = statements::resolve(&mut conn, "id", id).await?;
        let limit = size.get() as i64 + 1;
        let rows = statements::appearances(&mut conn, statement.id, after, limit).await?;
        let (items, next) = paginate(rows, size);
        let entities = directory(&mut conn, items.iter(), std::iter::empty()).await?;
        Ok(Page {
            items,
            next,
            entities,
        })
    }

    /// Merges statement `from` into `into`; returns the survivor.
    pub async fn merge_statements(
        &self,
        from: Uuid,
        into: Uuid,
        reason: &str,
        actor: &str,
    ) -> Result<StatementView, StoreError> {
        let mut tx = self.pool.begin().await?;
        let moved = merge::merge_statements(&mut tx, from, into, &Change { reason, actor }).await?;
        let wake = log_changes(&mut tx, RevisionChange::Regrouped, &moved).await?;
        tx.commit().await?;
        wake.send(&self.pool);
        self.get_statement(into).await
    }

    /// Takes a claim out of its statement; returns the claim and its new
    /// statement.
    pub async fn split_claim(
        &self,
        claim_id: Uuid,
        reason: &str,
        actor: &str,
    ) -> Result<(ClaimRecord, StatementView), StoreError> {
        let mut tx = self.pool.begin().await?;
        let rec = merge::split_claim(&mut tx, claim_id, &Change { reason, actor }).await?;
        let wake = log_changes(
            &mut tx,
            RevisionChange::Regrouped,
            std::slice::from_ref(&rec),
        )
        .await?;
        tx.commit().await?;
        wake.send(&self.pool);
        let new = rec
            .statement_id
            .ok_or_else(|| StoreError::Corrupt("split claim without a statement".into()))?;
        let mut view = self.get_statement(new).await?;
        let mut conn = self.pool.acquire().await?;
        let more = directory(&mut conn, std::iter::once(&rec), std::iter::empty()).await?;
        view.entities.extend(more);
        Ok((rec, view))
    }

    /// Merges entity `from` into `into`; returns the survivor and how many
    /// claims were rewritten.
    pub async fn merge_entities(
        &self,
        from: Uuid,
        into: Uuid,
        reason: &str,
        actor: &str,
    ) -> Result<(Entity, usize), StoreError> {
        let mut tx = self.pool.begin().await?;
        let (entity, recs) =
            merge::merge_entities(&mut tx, from, into, &Change { reason, actor }).await?;
        let wake = log_changes(&mut tx, RevisionChange::Merged, &recs).await?;
        entity_cache::announce(&mut tx, &[from, into]).await?;
        tx.commit().await?;
        wake.send(&self.pool);
        entity_cache::forget(&[from, into]);
        Ok((entity, recs.len()))
    }

    /// One entity by id, following merges to the survivor; the second value
    /// is the id asked for when it was merged away.
    pub async fn get_entity_resolved(
        &self,
        id: Uuid,
    ) -> Result<(Entity, Option<Uuid>), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut current = id;
        for _ in 0..16 {
            let e = entities::get(&mut conn, current)
                .await?
                .ok_or_else(|| StoreError::not_found("id", format!("no entity with id {id}")))?;
            match e.merged_into {
                Some(next) => current = next,
                None => return Ok((e, (current != id).then_some(id))),
            }
        }
        Err(StoreError::Corrupt(format!(
            "merge chain of entity {id} too long"
        )))
    }

    /// Records a review of a statement (following merges).
    pub async fn create_review(
        &self,
        statement_id: Uuid,
        new: &NewReview,
        actor: &str,
    ) -> Result<(Review, Directory), StoreError> {
        let mut tx = self.pool.begin().await?;
        let (statement, _) = statements::resolve(&mut tx, "statement_id", statement_id).await?;
        let review = insert_review(&mut tx, statement.id, new, actor)
            .await?
            .ok_or_else(|| {
                StoreError::AlreadyExists("the statement already has a review at this URL".into())
            })?;
        let dir = summaries(&mut tx, vec![review.reviewer_id]).await?;
        tx.commit().await?;
        Ok((review, dir))
    }

    /// A page of a statement's reviews, oldest first.
    pub async fn list_reviews(
        &self,
        statement_id: Uuid,
        size: PageSize,
        after: Option<&Cursor>,
    ) -> Result<Page<Review>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (statement, _) = statements::resolve(&mut conn, "statement_id", statement_id).await?;
        let limit = size.get() as i64 + 1;
        let rows = reviews::list(&mut conn, statement.id, after.map(|c| c.id), limit).await?;
        let rows: Vec<(Review, Cursor)> = rows
            .into_iter()
            .map(|r| {
                let c = Cursor::at_id(r.id);
                (r, c)
            })
            .collect();
        let (items, next) = paginate(rows, size);
        let entities = summaries(&mut conn, items.iter().map(|r| r.reviewer_id).collect()).await?;
        Ok(Page {
            items,
            next,
            entities,
        })
    }

    /// Statements with their appearances and reviews, for export.
    pub async fn export_statements(
        &self,
        ids: &[Uuid],
    ) -> Result<(Vec<ExportedStatement>, Directory), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        let mut entity_ids = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let field = format!("statement_ids[{i}]");
            let (statement, _) = statements::resolve(&mut conn, &field, *id).await?;
            let appearances = statements::appearance_urls(&mut conn, statement.id).await?;
            let reviews = reviews::list(&mut conn, statement.id, None, 1000).await?;
            entity_ids.extend(statement_entity_ids(&statement));
            entity_ids.extend(appearances.iter().flat_map(|(c, _)| c.entity_ids()));
            entity_ids.extend(reviews.iter().map(|r| r.reviewer_id));
            out.push(ExportedStatement {
                statement,
                appearances,
                reviews,
            });
        }
        let entities = summaries(&mut conn, entity_ids).await?;
        Ok((out, entities))
    }

    /// Imports ClaimReviews in one transaction: each item's appearances are
    /// ingested (idempotently) and gathered into one statement, and its
    /// verdict recorded.
    pub async fn import_statements(
        &self,
        items: &[ImportedStatement],
        actor: &str,
    ) -> Result<ImportOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Every lock the items need, in the one global order (see
        // `bulk`): the statement lock, exclusively because the appearances
        // are moved between statements after matching, then the URLs, then
        // every name or id that may create an entity, each sorted.
        statements::lock(&mut tx).await?;
        let mut urls: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        for item in items {
            for (a, c) in &item.appearances {
                urls.push(claims::url_lock_key(a));
                names.extend(claims::entity_lock_keys(a, std::slice::from_ref(c)));
            }
            names.extend(
                item.review
                    .as_ref()
                    .and_then(|r| resolve::lock_key(&r.reviewer)),
            );
        }
        for keys in [&mut urls, &mut names] {
            keys.sort();
            keys.dedup();
            resolve::lock_keys(&mut tx, keys).await?;
        }
        let mut outcome = ImportOutcome::default();
        let mut created = Vec::new();
        for item in items {
            let (statement, recs) = import_one(&mut tx, item, actor).await?;
            outcome.claims_created += recs.len();
            created.extend(recs);
            if let Some(new) = &item.review {
                if insert_review(&mut tx, statement, new, actor)
                    .await?
                    .is_some()
                {
                    outcome.reviews_created += 1;
                }
            }
            outcome.statement_ids.push(statement);
        }
        let wake = log_changes(&mut tx, RevisionChange::Created, &created).await?;
        tx.commit().await?;
        wake.send(&self.pool);
        Ok(outcome)
    }
}

/// Ingests one imported statement's appearances and moves any that matching
/// put elsewhere into the first one's statement; returns that statement and
/// the newly created claims.
async fn import_one(
    conn: &mut PgConnection,
    item: &ImportedStatement,
    actor: &str,
) -> Result<(Uuid, Vec<ClaimRecord>), StoreError> {
    let mut target: Option<Uuid> = None;
    let mut created = Vec::new();
    for (article, claim) in &item.appearances {
        let result = claims::ingest(conn, article, std::slice::from_ref(claim), actor).await?;
        let Some(mut rec) = result.claims.into_iter().next() else {
            continue;
        };
        let is_new = result.inserted.first().copied().unwrap_or(false);
        match (target, rec.statement_id) {
            (None, Some(s)) => target = Some(s),
            (Some(t), Some(s)) if s != t => {
                let change = Change {
                    reason: "imported ClaimReview: one statement",
                    actor,
                };
                rec = merge::move_into(conn, rec.id, t, &change).await?;
            }
            _ => {}
        }
        if is_new {
            created.push(rec);
        }
    }
    let statement =
        target.ok_or_else(|| StoreError::Corrupt("imported statement without claims".into()))?;
    Ok((statement, created))
}

async fn insert_review(
    conn: &mut PgConnection,
    statement: Uuid,
    new: &NewReview,
    actor: &str,
) -> Result<Option<Review>, StoreError> {
    resolve::lock_refs(conn, std::iter::once(&new.reviewer)).await?;
    let mut resolver = resolve::Resolver::new(actor);
    let reviewer = resolver.resolve(conn, "reviewer", &new.reviewer).await?;
    let ts = claims::now(conn).await?;
    reviews::insert(conn, statement, reviewer, new, actor, ts).await
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
