//! Bulk import: a batch of ingests in one transaction, written set-wise by
//! [`super::bulk`] (one commit and a fixed number of statements per batch).
//! An item that fails its checks writes nothing and does not stop the rest.
//! If the batch hits a database error anyway (a constraint no check
//! foresaw), it is rolled back and its items are retried one transaction
//! each, so only the bad item fails.
//!
//! Items naming an entity that another transaction is creating (another
//! import stream, typically, naming the same new person) are left out of
//! their batch rather than waited for, and written by a later transaction
//! once that entity is committed; after [`DEFER_ROUNDS`] such rounds the
//! rest wait.

use std::collections::HashSet;

use super::bulk::{self, Item, OnBusy};
use super::claims::IngestResult;
use super::facade::pending;
use super::{events, Store, StoreError};
use crate::domain::{NewArticle, NewClaim, RevisionChange};

/// How many times items may be left out for a later transaction before
/// their batch waits for the entities they name.
const DEFER_ROUNDS: usize = 3;

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

    /// Imports a run of distinct URLs: the items left out of a transaction
    /// (see the module docs) go into the next one.
    async fn import_run(
        &self,
        run: &[(NewArticle, Vec<NewClaim>)],
        actor: &str,
    ) -> Vec<ItemOutcome> {
        let refs: Vec<Item<'_>> = run.iter().map(|(a, c)| (a, c.as_slice())).collect();
        let mut outcomes: Vec<Option<ItemOutcome>> = run.iter().map(|_| None).collect();
        let mut pending: Vec<usize> = (0..run.len()).collect();
        for round in 0..=DEFER_ROUNDS {
            let on_busy = if round < DEFER_ROUNDS && pending.len() > 1 {
                OnBusy::Defer
            } else {
                OnBusy::Wait
            };
            let batch: Vec<Item<'_>> = pending.iter().map(|i| refs[*i]).collect();
            let got = self.import_items(&batch, actor, on_busy).await;
            let mut left = Vec::new();
            for (i, outcome) in pending.into_iter().zip(got) {
                match outcome {
                    Some(o) => outcomes[i] = Some(o),
                    None => left.push(i),
                }
            }
            pending = left;
            if pending.is_empty() {
                break;
            }
        }
        outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| ItemOutcome::Failed(StoreError::Corrupt("no outcome".into())))
            })
            .collect()
    }

    /// One transaction for the items, or, when it fails, one per item;
    /// `None` for an item left out (only under [`OnBusy::Defer`]).
    async fn import_items(
        &self,
        items: &[Item<'_>],
        actor: &str,
        on_busy: OnBusy,
    ) -> Vec<Option<ItemOutcome>> {
        match self.try_import(items, actor, on_busy).await {
            Ok(outcomes) => outcomes,
            Err(e) if items.len() == 1 => vec![Some(ItemOutcome::Failed(e))],
            Err(e) if is_fatal(&e) => {
                let shared = std::sync::Arc::new(e);
                items
                    .iter()
                    .map(|_| Some(ItemOutcome::Failed(batch_failure(&shared))))
                    .collect()
            }
            Err(e) => {
                tracing::warn!(error = %e, items = items.len(), "import batch failed; retrying item by item");
                let mut outcomes = Vec::with_capacity(items.len());
                for item in items {
                    let one = match self
                        .try_import(std::slice::from_ref(item), actor, OnBusy::Wait)
                        .await
                    {
                        Ok(mut o) => o.pop().flatten().unwrap_or_else(|| {
                            ItemOutcome::Failed(StoreError::Corrupt("no outcome".into()))
                        }),
                        Err(e) => ItemOutcome::Failed(e),
                    };
                    outcomes.push(Some(one));
                }
                outcomes
            }
        }
    }

    async fn try_import(
        &self,
        items: &[Item<'_>],
        actor: &str,
        on_busy: OnBusy,
    ) -> Result<Vec<Option<ItemOutcome>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let results = bulk::ingest_many(&mut tx, items, actor, on_busy).await?;
        let pending_events: Vec<events::PendingEvent> = results
            .iter()
            .filter_map(|r| r.as_ref().and_then(|r| r.as_ref().ok()))
            .flat_map(new_claim_events)
            .collect();
        let wake = events::append(&mut tx, &pending_events).await?;
        tx.commit().await?;
        wake.send(&self.pool);
        Ok(results
            .into_iter()
            .map(|r| {
                r.map(|r| match r {
                    Ok(r) => stored(&r),
                    Err(e) => ItemOutcome::Failed(e),
                })
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
