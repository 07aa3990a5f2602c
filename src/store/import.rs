//! Bulk import: a batch of ingests in one transaction, written set-wise by
//! [`super::bulk`] (one commit and a fixed number of statements per batch).
//! An item that fails its checks writes nothing and does not stop the rest.
//! If the batch hits a database error anyway (a constraint no check
//! foresaw), it is rolled back and its items are retried one transaction
//! each, so only the bad item fails.

use std::collections::HashSet;

use super::bulk::{self, Item};
use super::claims::IngestResult;
use super::facade::pending;
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
    /// Ingests a batch (see the module docs); one outcome per item, in order.
    pub async fn import_batch(
        &self,
        items: &[(NewArticle, Vec<NewClaim>)],
        actor: &str,
    ) -> Vec<ItemOutcome> {
        let mut outcomes = Vec::with_capacity(items.len());
        // A URL twice in one statement would collide with itself: split the
        // batch before each repeat so every run has distinct URLs.
        for run in distinct_url_runs(items) {
            outcomes.extend(self.import_run(run, actor).await);
        }
        outcomes
    }

    async fn import_run(
        &self,
        run: &[(NewArticle, Vec<NewClaim>)],
        actor: &str,
    ) -> Vec<ItemOutcome> {
        let refs: Vec<Item<'_>> = run.iter().map(|(a, c)| (a, c.as_slice())).collect();
        match self.try_import(&refs, actor).await {
            Ok(outcomes) => outcomes,
            Err(e) if run.len() == 1 => vec![ItemOutcome::Failed(e)],
            Err(e) if is_fatal(&e) => {
                let shared = std::sync::Arc::new(e);
                run.iter()
                    .map(|_| ItemOutcome::Failed(batch_failure(&shared)))
                    .collect()
            }
            Err(e) => {
                tracing::warn!(error = %e, items = run.len(), "import batch failed; retrying item by item");
                let mut outcomes = Vec::with_capacity(refs.len());
                for item in &refs {
                    let one = match self.try_import(std::slice::from_ref(item), actor).await {
                        Ok(mut o) => o.pop().unwrap_or_else(|| {
                            ItemOutcome::Failed(StoreError::Corrupt("no outcome".into()))
                        }),
                        Err(e) => ItemOutcome::Failed(e),
                    };
                    outcomes.push(one);
                }
                outcomes
            }
        }
    }

    async fn try_import(
        &self,
        items: &[Item<'_>],
        actor: &str,
    ) -> Result<Vec<ItemOutcome>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let results = bulk::ingest_many(&mut tx, items, actor).await?;
        let pending_events: Vec<events::PendingEvent> = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .flat_map(new_claim_events)
            .collect();
        events::append(&mut tx, &pending_events).await?;
        tx.commit().await?;
        Ok(results
            .into_iter()
            .map(|r| match r {
                Ok(r) => stored(&r),
                Err(e) => ItemOutcome::Failed(e),
            })
            .collect())
    }
}

/// Consecutive runs of items whose URLs are distinct within the run.
fn distinct_url_runs(items: &[(NewArticle, Vec<NewClaim>)]) -> Vec<&[(NewArticle, Vec<NewClaim>)]> {
    let mut runs = Vec::new();
    let (mut start, mut seen) = (0, HashSet::new());
    for (i, (a, _)) in items.iter().enumerate() {
        if !seen.insert(a.url.as_str()) {
            runs.push(&items[start..i]);
            start = i;
            seen.clear();
            seen.insert(a.url.as_str());
        }
    }
    if start < items.len() {
        runs.push(&items[start..]);
    }
    runs
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

/// Connection-level failures end the batch; anything else is retried item
/// by item.
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
