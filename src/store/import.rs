//! Bulk import: many ingests in one transaction, each inside its own
//! savepoint, so a bad item rolls back alone while the good ones commit
//! together (one commit, one WAL flush, per batch instead of per article).

use super::claims::{self, IngestResult};
use super::facade::pending;
use super::resolve::lock_keys;
use super::{events, Store, StoreError};
use crate::domain::{NewArticle, NewClaim, RevisionChange};

/// What happened to one item of a batch.
#[derive(Debug)]
pub enum ItemOutcome {
    /// Stored: `created` when anything new was written, with the number of
    /// claims newly stored.
    Stored {
        /// Whether anything new was written.
        created: bool,
        /// Claims newly stored.
        new_claims: usize,
    },
    /// Not stored.
    Failed(StoreError),
}

impl Store {
    /// Ingests a batch: one transaction, a savepoint per item. Locks for all
    /// items are taken up front in one sorted order, so concurrent batches
    /// cannot deadlock. If the commit itself fails, every item fails.
    pub async fn import_batch(
        &self,
        items: &[(NewArticle, Vec<NewClaim>)],
        actor: &str,
    ) -> Vec<ItemOutcome> {
        match self.try_import_batch(items, actor).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                let shared = std::sync::Arc::new(e);
                items
                    .iter()
                    .map(|_| ItemOutcome::Failed(batch_failure(&shared)))
                    .collect()
            }
        }
    }

    async fn try_import_batch(
        &self,
        items: &[(NewArticle, Vec<NewClaim>)],
        actor: &str,
    ) -> Result<Vec<ItemOutcome>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut keys: Vec<String> = items
            .iter()
            .flat_map(|(a, c)| claims::lock_keys_for(a, c))
            .collect();
        keys.sort();
        keys.dedup();
        lock_keys(&mut tx, &keys).await?;
        let mut outcomes = Vec::with_capacity(items.len());
        let mut pending_events = Vec::new();
        for (article, item_claims) in items {
            sqlx::query("SAVEPOINT import_item")
                .execute(&mut *tx)
                .await?;
            match claims::ingest_locked(&mut tx, article, item_claims, actor).await {
                Ok(r) => {
                    sqlx::query("RELEASE SAVEPOINT import_item")
                        .execute(&mut *tx)
                        .await?;
                    outcomes.push(stored(&r));
                    pending_events.extend(new_claim_events(&r));
                }
                Err(e @ (StoreError::Unavailable(_) | StoreError::Database(_))) if is_fatal(&e) => {
                    return Err(e);
                }
                Err(e) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT import_item")
                        .execute(&mut *tx)
                        .await?;
                    outcomes.push(ItemOutcome::Failed(e));
                }
            }
        }
        events::append(&mut tx, &pending_events).await?;
        tx.commit().await?;
        Ok(outcomes)
    }
}

fn stored(r: &IngestResult) -> ItemOutcome {
    ItemOutcome::Stored {
        created: r.created,
        new_claims: r.inserted.iter().filter(|i| **i).count(),
    }
}

fn new_claim_events(r: &IngestResult) -> Vec<events::PendingEvent> {
    r.claims
        .iter()
        .zip(&r.inserted)
        .filter(|(_, i)| **i)
        .map(|(c, _)| pending(RevisionChange::Created, c))
        .collect()
}

/// Connection-level failures end the batch; anything else is the item's.
fn is_fatal(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(_))
}

/// A copy of a batch-wide error for each item.
fn batch_failure(e: &std::sync::Arc<StoreError>) -> StoreError {
    match e.as_ref() {
        StoreError::Unavailable(_) => StoreError::Unavailable(sqlx::Error::PoolTimedOut),
        other => StoreError::Corrupt(format!("batch failed: {other}")),
    }
}
