//! `ImportArticles`: a client stream of ingest requests, validated one by
//! one and written in batches (see `Store::import_batch`).

use std::time::Duration;

use tokio_stream::StreamExt;
use tonic::{Status, Streaming};

use super::claims::parse_ingest;
use crate::domain::{NewArticle, NewClaim, Violations};
use crate::pb::v1 as pb;
use crate::store::{ItemOutcome, Store};

/// Most items written in one transaction.
const BATCH_ITEMS: usize = 256;
/// Most claims written in one transaction.
const BATCH_CLAIMS: usize = 5_000;
/// A partial batch is written when the client pauses this long.
const BATCH_WAIT: Duration = Duration::from_millis(50);
/// Most errors listed in the summary.
const MAX_ERRORS: usize = 1000;

/// Summary being built.
#[derive(Default)]
struct Summary {
    out: pb::ImportArticlesResponse,
}

impl Summary {
    fn fail(&mut self, index: usize, url: &str, status: &Status, violations: Option<&Violations>) {
        self.out.failed += 1;
        if self.out.errors.len() >= MAX_ERRORS {
            return;
        }
        self.out.errors.push(pb::ImportError {
            index: index as i64,
            url: url.to_string(),
            code: status.code() as i32,
            message: status.message().to_string(),
            field_violations: violations
                .map(|v| {
                    v.list()
                        .iter()
                        .map(|f| pb::ImportFieldViolation {
                            field: f.field.clone(),
                            description: f.description.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
}

struct Pending {
    index: usize,
    url: String,
    item: (NewArticle, Vec<NewClaim>),
}

/// Consumes the stream and returns the summary.
pub async fn run(
    store: &Store,
    mut stream: Streaming<pb::ImportArticlesRequest>,
    actor: &str,
) -> Result<pb::ImportArticlesResponse, Status> {
    let mut summary = Summary::default();
    let mut batch: Vec<Pending> = Vec::new();
    let mut index = 0usize;
    loop {
        let next = if batch.is_empty() {
            Ok(stream.next().await)
        } else {
            tokio::time::timeout(BATCH_WAIT, stream.next()).await
        };
        match next {
            Err(_) => flush(store, &mut batch, &mut summary, actor).await,
            Ok(None) => break,
            Ok(Some(msg)) => {
                let msg = msg?;
                accept(msg, index, &mut batch, &mut summary);
                index += 1;
                let claims: usize = batch.iter().map(|p| p.item.1.len()).sum();
                if batch.len() >= BATCH_ITEMS || claims >= BATCH_CLAIMS {
                    flush(store, &mut batch, &mut summary, actor).await;
                }
            }
        }
    }
    flush(store, &mut batch, &mut summary, actor).await;
    Ok(summary.out)
}

/// Validates one item: a bad one is reported at once, a good one queued.
fn accept(
    msg: pb::ImportArticlesRequest,
    index: usize,
    batch: &mut Vec<Pending>,
    summary: &mut Summary,
) {
    let req = msg.article.unwrap_or_default();
    let url = req
        .article
        .as_ref()
        .map(|a| a.url.clone())
        .unwrap_or_default();
    let parsed = super::claims::with_extracted(req).and_then(|r| parse_ingest(&r));
    match parsed {
        Ok(item) => batch.push(Pending { index, url, item }),
        Err(v) => summary.fail(index, &url, &super::error::invalid(&v), Some(&v)),
    }
}

async fn flush(store: &Store, batch: &mut Vec<Pending>, summary: &mut Summary, actor: &str) {
    if batch.is_empty() {
        return;
    }
    let pending = std::mem::take(batch);
    let items: Vec<(NewArticle, Vec<NewClaim>)> = pending.iter().map(|p| p.item.clone()).collect();
    let outcomes = store.import_batch(&items, actor).await;
    for (p, outcome) in pending.iter().zip(outcomes) {
        match outcome {
            ItemOutcome::Stored {
                created,
                new_claims,
            } => {
                if created {
                    summary.out.stored += 1;
                } else {
                    summary.out.unchanged += 1;
                }
                summary.out.claims_stored += new_claims as i64;
            }
            ItemOutcome::Failed(e) => {
                let violations = match &e {
                    crate::store::StoreError::Invalid(v) => Some(v.clone()),
                    _ => None,
                };
                let status = super::error::from_store(e);
                summary.fail(p.index, &p.url, &status, violations.as_ref());
            }
        }
    }
}
